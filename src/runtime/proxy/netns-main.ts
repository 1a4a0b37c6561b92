/**
 * faultline's fault proxy inside one node's network namespace: the Docker runtime's latency
 * where the kernel has no netem. Run by the node's network sidecar (same namespace, NET_ADMIN)
 * with the host's node binary, bundled with esbuild (docker/netns-proxy.ts):
 *
 *   node netns-main.mjs '{"node":"n1","host":"10.213.7.11","ports":[2379,2380],"iptables":"/usr/sbin/iptables-nft","dir":"/run/faultline-proxy"}'
 *
 * For each of the node's TCP ports it listens on a free port, then sends every connection that
 * arrives from outside to that port through itself (`nat PREROUTING ... REDIRECT`, loopback
 * excepted); its own onward connections to host:port are made inside the namespace, so they
 * never pass PREROUTING again. The delay applies to what the node sends on those connections
 * (its answers to clients and to peers that dialled it), as netem on its interface would; the
 * node's own outgoing connections are delayed by the peers' proxies, not by this one.
 *
 * Control, through files in `dir` (a tmpfs the harness reaches with `docker exec`):
 *   ready         written once listening and redirected: "<node port> <proxy port>" lines
 *   pid           this process (the harness sends it SIGHUP)
 *   toxics.json   {"gen": n, "delayMs": d, "jitterMs": j}, read on SIGHUP
 *   applied       the last `gen` applied
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FaultProxy, UNKNOWN } from './index.js';

interface NetnsConfig {
  node: string;
  host: string;
  ports: number[];
  iptables: string;
  dir: string;
}

interface ToxicsFile {
  gen: number;
  delayMs?: number;
  jitterMs?: number;
}

function parseConfig(arg: string | undefined): NetnsConfig {
  const c = JSON.parse(arg ?? '') as Partial<NetnsConfig>;
  const ok =
    typeof c.node === 'string' &&
    typeof c.host === 'string' &&
    Array.isArray(c.ports) &&
    c.ports.every((p) => Number.isInteger(p) && p > 0 && p < 65536) &&
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
  const pairs: [number, number][] = [];
  for (const port of c.ports) {
    const route = await proxy.addRoute({
      from: UNKNOWN,
      to: c.node,
      targetHost: c.host,
      targetPort: port,
      host: '0.0.0.0',
      port: 0,
    });
    pairs.push([port, route.port]);
  }
  // Rules made afresh: a restarted sidecar (a user image's node restarted) starts over.
  execFileSync(c.iptables, ['-t', 'nat', '-F', 'PREROUTING']);
  for (const [port, to] of pairs) {
    execFileSync(c.iptables, [
      ...['-t', 'nat', '-A', 'PREROUTING', '!', '-i', 'lo', '-p', 'tcp', '--dport', String(port)],
      ...['-j', 'REDIRECT', '--to-ports', String(to)],
    ]);
  }
  const apply = () => {
    try {
      const t = JSON.parse(readFileSync(join(c.dir, 'toxics.json'), 'utf8')) as ToxicsFile;
      proxy.setToxics(c.node, { delayMs: t.delayMs, jitterMs: t.jitterMs });
      writeWhole(join(c.dir, 'applied'), String(t.gen));
    } catch (e) {
      process.stderr.write(`[netns-proxy] toxics not applied: ${(e as Error).message}\n`);
    }
  };
  process.on('SIGHUP', apply);
  process.on('SIGTERM', () => process.exit(0));
  writeWhole(join(c.dir, 'pid'), String(process.pid));
  writeWhole(join(c.dir, 'ready'), pairs.map(([p, q]) => `${p} ${q}\n`).join(''));
  process.stderr.write(`[netns-proxy] ${c.node}: ${pairs.map(([p, q]) => `${p}→${q}`).join(' ')}\n`);
}

main().catch((e: Error) => {
  process.stderr.write(`[netns-proxy] ${e.message}\n`);
  process.exit(1);
});
