/**
 * The SSH runtime's options and its hosts: `hosts` ("user@host:port", comma-separated on the
 * command line, a list in a config file) or `nodes` ([{ host, port?, user? }], config file).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { userInfo } from 'node:os';
import { z } from 'zod';
import type { HostSpec } from './conn.js';

const nodeEntry = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).optional(),
    user: z.string().min(1).optional(),
  })
  .strict();

export const sshOptions = z
  .object({
    hosts: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .describe('the hosts, one node each: "user@host:port" (user and port optional), comma-separated'),
    nodes: z
      .array(nodeEntry)
      .optional()
      .describe('(config file) the hosts as objects: [{ host, port?, user? }]'),
    user: z.string().min(1).optional().describe('SSH user where a host names none (default: your user name)'),
    identityFile: z
      .string()
      .min(1)
      .optional()
      .describe('private key file for SSH (default: the agent at $SSH_AUTH_SOCK)'),
    sudo: z
      .boolean()
      .default(false)
      .describe('run the privileged fault commands (iptables, tc, date) with sudo -n'),
    remoteDir: z
      .string()
      .regex(/^\/[A-Za-z0-9_./-]*$/, 'an absolute path of letters, digits and _ . / -')
      .default('/tmp/faultline')
      .describe("directory on each host for faultline's run directories (data, logs, supervisor)"),
    connectTimeout: z.number().positive().default(10).describe('seconds an SSH connection may take'),
    commandTimeout: z.number().positive().default(20).describe('seconds a remote command may take'),
    readyTimeout: z.number().positive().default(60).describe('seconds to wait for every node to be ready'),
  })
  .strict();

export type SshOptions = z.infer<typeof sshOptions>;

/** "user@host:port", "host:port", "user@host", "[v6]:port". */
export function parseHost(text: string, defaultUser: string): HostSpec {
  const m = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s]+)(?::(\d+))?$/.exec(text.trim());
  if (!m) throw new Error(`ssh runtime: cannot read host "${text}" (expected user@host:port)`);
  const port = m[3] === undefined ? 22 : Number(m[3]);
  if (!(port >= 1 && port <= 65535)) throw new Error(`ssh runtime: bad port in "${text}"`);
  return { user: m[1] ?? defaultUser, host: m[2]!.replace(/^\[|\]$/g, ''), port };
}

export function hostsOf(o: SshOptions): HostSpec[] {
  const user = o.user ?? userInfo().username;
  const listed = typeof o.hosts === 'string' ? o.hosts.split(/[\s,]+/) : (o.hosts ?? []);
  const out = listed.filter((h) => h.trim() !== '').map((h) => parseHost(h, user));
  for (const n of o.nodes ?? []) out.push({ host: n.host, port: n.port ?? 22, user: n.user ?? user });
  const seen = new Set<string>();
  for (const h of out) {
    const key = `${h.host}:${h.port}`;
    if (seen.has(key)) throw new Error(`ssh runtime: host ${key} is listed twice (one node per host)`);
    seen.add(key);
  }
  return out;
}

/** The IPv4 address a host has (partitions name peers by address). */
export async function addressOf(host: string): Promise<string> {
  if (isIP(host) === 4) return host;
  if (isIP(host) === 6)
    throw new Error(`ssh runtime: ${host}: IPv6 hosts are not supported (iptables rules are IPv4)`);
  try {
    return (await lookup(host, { family: 4 })).address;
  } catch (e) {
    throw new Error(`ssh runtime: cannot resolve ${host}: ${(e as Error).message}`);
  }
}
