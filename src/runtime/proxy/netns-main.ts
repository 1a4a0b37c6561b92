/**
 * faultline's fault proxy inside one node's network namespace: the Docker runtime's latency
 * where the kernel has no netem. Run by the node's network sidecar (same namespace, NET_ADMIN)
 * with the host's node binary, bundled with esbuild (docker/netns-proxy.ts):
 *
 *   node netns-main.mjs '{"node":"n1","host":"10.213.7.11","ports":[2379,2380],
 *     "peers":{"n2":"10.213.7.12","n3":"10.213.7.13"},"iptables":"/usr/sbin/iptables-nft","dir":"/run/faultline-proxy"}'
 *
 * For each of the node's TCP ports it listens on free ports, one per peer and one for everyone
 * else (the harness's clients), then sends every connection that arrives from outside to that
 * port through itself (`nat PREROUTING ... REDIRECT`, chosen by source address; loopback
 * excepted); its own onward connections to host:port are made inside the namespace, so they
 * never pass PREROUTING again. Each connection thus knows who dialled it, and the delay of a
 * node applies to what that node sends on it: the node's answers here, and what the node sent
 * on connections it dialled to a peer, in that peer's proxy. Every proxy holds every node's
 * delay, so a node's TCP traffic is delayed as netem on its interface would delay it.
 *
 * Control, through files in `dir` (a tmpfs the harness reaches with `docker exec`):
 *   ready         written once listening and redirected: "<node port> <proxy port> <from>" lines
 *   pid           this process (the harness sends it SIGHUP)
 *   toxics.json   {"gen": n, "delays": {"n1": {"delayMs": d, "jitterMs": j}}}, read on SIGHUP
 *   applied       the last `gen` applied
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLIENT, FaultProxy } from './index.js';

interface NetnsConfig {
  node: string;
  host: string;
  ports: number[];
  /** The other nodes' addresses, by name. */
  peers: Record<string, string>;
  iptables: string;
  dir: string;
}

interface ToxicsFile {
  gen: number;
  delays: Record<string, { delayMs?: number; jitterMs?: number }>;
}

function parseConfig(arg: string | undefined): NetnsConfig {
  const c = JSON.parse(arg ?? '') as Partial<NetnsConfig>;
  const ok =
    typeof c.node === 'string' &&
    typeof c.host === 'string' &&
    Array.isArray(c.ports) &&
    c.ports.every((p) => Number.isInteger(p) && p > 0 && p < 65536) &&
    typeof c.peers === 'object' &&
    c.peers !== null &&
    typeof c.iptables === 'string' &&
    typeof c.dir === 'string';
  if (!ok) throw new Error(`bad configuration: ${arg}`);
  return c as NetnsConfig;
}

/** Writes a file whole (a reader never sees half of it). */
function writeWhole(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

async function main(): Promise<void> {
  const c = parseConfig(process.argv[2]);
  mkdirSync(c.dir, { recursive: true });
  const proxy = new FaultProxy();
  // Peers first: the catch-all (clients) must come last among the rules.
  const senders: [string, string | undefined][] = [...Object.entries(c.peers), [CLIENT, undefined]];
  const routes: { port: number; to: number; from: string; source?: string }[] = [];
  for (const port of c.ports) {
    for (const [from, source] of senders) {
      const route = await proxy.addRoute({
        from,
        to: c.node,
        targetHost: c.host,
        targetPort: port,
        host: '0.0.0.0',
        port: 0,
      });
      routes.push({ port, to: route.port, from, source });
    }
  }
  // Rules made afresh: a restarted sidecar (a user image's node restarted) starts over.
  execFileSync(c.iptables, ['-t', 'nat', '-F', 'PREROUTING']);
  for (const r of routes) {
    execFileSync(c.iptables, [
      ...['-t', 'nat', '-A', 'PREROUTING', '!', '-i', 'lo', ...(r.source ? ['-s', r.source] : [])],
      ...['-p', 'tcp', '--dport', String(r.port), '-j', 'REDIRECT', '--to-ports', String(r.to)],
    ]);
  }
  const names = [c.node, ...Object.keys(c.peers)];
  const apply = () => {
    try {
      const t = JSON.parse(readFileSync(join(c.dir, 'toxics.json'), 'utf8')) as ToxicsFile;
      for (const name of names) proxy.setToxics(name, t.delays[name]);
      writeWhole(join(c.dir, 'applied'), String(t.gen));
    } catch (e) {
      process.stderr.write(`[netns-proxy] toxics not applied: ${(e as Error).message}\n`);
    }
  };
  process.on('SIGHUP', apply);
  process.on('SIGTERM', () => process.exit(0));
  writeWhole(join(c.dir, 'pid'), String(process.pid));
  writeWhole(join(c.dir, 'ready'), routes.map((r) => `${r.port} ${r.to} ${r.from}\n`).join(''));
  process.stderr.write(
    `[netns-proxy] ${c.node}: ${routes.map((r) => `${r.from}→${r.port}@${r.to}`).join(' ')}\n`,
  );
}

main().catch((e: Error) => {
  process.stderr.write(`[netns-proxy] ${e.message}\n`);
  process.exit(1);
});
