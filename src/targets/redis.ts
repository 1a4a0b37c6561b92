/**
 * Redis (Debian's redis-server) in three topologies:
 *   single     one node;
 *   replicas   a primary (n1) and asynchronous replicas (2 by default), clients on the primary;
 *   sentinel   the same plus a redis-sentinel beside every node (quorum 2), automatic
 *              failover, clients following the current primary through the sentinels.
 * Persistence: AOF with fsync every second (what a restarted node keeps after a kill).
 * Clock faults: when the run asks for them, redis-server runs under libfaketime with
 * faultline's jemalloc stand-in (docker/jemalloc-shim.c; Redis then allocates with glibc).
 * Sentinels keep the real clock.
 */
import { respCommand, respProbe } from '../clients/resp.js';
import type { ClusterNode } from '../runtime/cluster.js';
import type { Deployment, NodeSpec, Target, TargetOptions } from './types.js';

export const REDIS_PORT = 6379;
export const SENTINEL_PORT = 26379;
export const SENTINEL_MASTER = 'faultline';

const serverCommand = (extra: string[]) => [
  '/usr/bin/redis-server',
  '--bind',
  '0.0.0.0',
  '--port',
  String(REDIS_PORT),
  '--protected-mode',
  'no',
  '--dir',
  '/data',
  '--save',
  '',
  '--appendonly',
  'yes',
  '--appendfsync',
  'everysec',
  // Replicas sync at once (the default waits 5 s for more replicas to share a diskless sync).
  '--repl-diskless-sync-delay',
  '0',
  ...extra,
];

function sentinelSidecar(
  primary: string,
  replicas: readonly string[],
  quorum: number,
  downAfterMs: number,
): string {
  const conf = [
    `port ${SENTINEL_PORT}`,
    'protected-mode no',
    'dir /data',
    `sentinel monitor ${SENTINEL_MASTER} ${primary} ${REDIS_PORT} ${quorum}`,
    `sentinel down-after-milliseconds ${SENTINEL_MASTER} ${downAfterMs}`,
    `sentinel failover-timeout ${SENTINEL_MASTER} 10000`,
    `sentinel parallel-syncs ${SENTINEL_MASTER} 1`,
    // Known from the start: otherwise a sentinel learns replicas from the primary's INFO,
    // every 10 s, and a primary lost before that cannot be failed over.
    ...replicas.map((r) => `sentinel known-replica ${SENTINEL_MASTER} ${r} ${REDIS_PORT}`),
  ].join('\\n');
  // Written once: sentinel rewrites its own file as it learns the topology.
  return `[ -e /data/sentinel.conf ] || printf '${conf}\\n' > /data/sentinel.conf; exec /usr/bin/redis-sentinel /data/sentinel.conf`;
}

const pong = (node: ClusterNode) => respProbe(node.host, REDIS_PORT, ['PING'], (r) => r.startsWith('+PONG'));

export const redisTarget: Target = {
  name: 'redis',
  topologies: ['single', 'replicas', 'sentinel'],
  defaultTopology: 'single',
  defaultNodes: (topology) => (topology === 'single' ? 1 : 3),
  plan(options: TargetOptions, hosts: readonly string[]): Deployment {
    const topology = options.topology;
    if (!redisTarget.topologies.includes(topology)) {
      throw new Error(`redis topologies: ${redisTarget.topologies.join(', ')} (got "${topology}")`);
    }
    if (topology === 'single' && hosts.length !== 1) throw new Error('redis single: exactly 1 node');
    if (topology !== 'single' && (hosts.length < 2 || hosts.length > 9)) {
      throw new Error(`redis ${topology}: 2 to 9 nodes (got ${hosts.length})`);
    }
    const primary = hosts[0]!;
    const quorum = Math.floor(hosts.length / 2) + 1;
    const downAfterMs = Number(options.sentinelDownAfterMs ?? 2000);
    // Under libfaketime only when the run skews clocks (it costs every time call), and then
    // with faultline's jemalloc stand-in: Debian's jemalloc hangs under libfaketime.
    const fakeClock = options.faults?.includes('clock') === true;
    const nodes: NodeSpec[] = hosts.map((host, i) => {
      const isPrimary = i === 0;
      const ports: Record<string, number> = { client: REDIS_PORT };
      if (topology === 'sentinel') ports.sentinel = SENTINEL_PORT;
      return {
        name: `n${i + 1}`,
        host,
        role: isPrimary ? 'primary' : 'replica',
        ports,
        command: serverCommand(isPrimary ? [] : ['--replicaof', primary, String(REDIS_PORT)]),
        ...(fakeClock ? { fakeClock: true, jemallocShim: true } : {}),
        ...(topology === 'sentinel'
          ? { sidecar: sentinelSidecar(primary, hosts.slice(1), quorum, downAfterMs) }
          : {}),
      };
    });
    return {
      target: 'redis',
      topology,
      nodes,
      mounts: [],
      unsupported: fakeClock
        ? {}
        : {
            clock:
              'the cluster was deployed without clock faults (Redis runs under libfaketime only when the run asks for them)',
          },
      info: {
        primary: 'n1',
        ...(fakeClock
          ? {
              fakeClock:
                "redis-server under libfaketime, allocating with glibc (faultline's jemalloc stand-in)",
            }
          : {}),
        ...(topology === 'sentinel' ? { sentinel: { master: SENTINEL_MASTER, quorum, downAfterMs } } : {}),
      },
      version: async (node) =>
        /redis_version:([^\r\n]+)/.exec(await respCommand(node.host, REDIS_PORT, ['INFO', 'server']))?.[1] ??
        'unknown',
      ready: async (node) => {
        if (!(await pong(node))) return false;
        if (node.role === 'replica') {
          const linked = await respProbe(node.host, REDIS_PORT, ['INFO', 'replication'], (r) =>
            r.includes('master_link_status:up'),
          );
          if (!linked) return false;
        }
        if (topology === 'sentinel') {
          return respProbe(node.host, SENTINEL_PORT, ['PING'], (r) => r.startsWith('+PONG'));
        }
        return true;
      },
      // Every sentinel must know the primary, its replicas and the other sentinels (found by
      // hello messages) before a failover can work.
      clusterReady:
        topology === 'sentinel'
          ? async (all) => {
              const checks = await Promise.all(
                all.map((n) =>
                  respProbe(n.host, SENTINEL_PORT, ['SENTINEL', 'MASTER', SENTINEL_MASTER], (r) => {
                    const f = r.split('\r\n');
                    const field = (name: string) => f[f.indexOf(name) + 2];
                    return (
                      field('num-slaves') === String(all.length - 1) &&
                      field('num-other-sentinels') === String(all.length - 1) &&
                      field('flags') === 'master'
                    );
                  }),
                ),
              );
              return checks.every(Boolean);
            }
          : undefined,
    };
  },
};
