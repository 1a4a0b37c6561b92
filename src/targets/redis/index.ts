/**
 * Redis (Debian's redis-server) in three topologies:
 *   single     one node;
 *   replicas   a primary (n1) and asynchronous replicas (2 by default), clients on the primary;
 *   sentinel   the same plus a redis-sentinel beside every node (quorum: a majority),
 *              automatic failover, clients following the current primary through the sentinels.
 * Clock faults: when the run asks for them, redis-server runs under libfaketime with
 * faultline's jemalloc stand-in (docker/jemalloc-shim.c; Redis then allocates with glibc).
 * Sentinels keep the real clock.
 */
import { z } from 'zod';
import type { ClusterNode } from '../../runtime/cluster.js';
import { type DeployContext, type Deployment, defineTarget } from '../types.js';
import { fields, redisCall, redisProbe } from './call.js';
import { openRedisRegisterClient } from './client.js';
import { SENTINEL_MASTER, sentinelSidecar, serverCommand } from './deploy.js';
import { redisPrimaries } from './primaries.js';
import { openRedisCausalClient, openRedisCounterClient, openRedisSetClient } from './protocols.js';

const options = z
  .object({
    sentinelDownAfterMs: z
      .number()
      .int()
      .min(100)
      .default(2000)
      .describe('sentinel: ms without answers before a primary is down'),
    binary: z.string().default('/usr/bin/redis-server').describe('path of redis-server on the node'),
    readFrom: z
      .enum(['primary', 'replica'])
      .default('primary')
      .describe(
        "reads on the primary, or on a replica (replicas, sentinel; the causal workload's sessions may roam between replicas)",
      ),
    sentinelBinary: z
      .string()
      .default('/usr/bin/redis-sentinel')
      .describe('path of redis-sentinel on the node'),
  })
  .strict();

type RedisOptions = z.infer<typeof options>;

// Under libfaketime only when the run skews clocks (it costs every time call).
const fakeClock = (ctx: DeployContext) => ctx.faults.includes('clock');

const pong = (node: ClusterNode) => redisProbe(node.host, node.ports.client!, ['PING'], (r) => r === 'PONG');

async function nodeReady(node: ClusterNode, topology: string): Promise<boolean> {
  if (!(await pong(node))) return false;
  if (node.role === 'replica') {
    const linked = await redisProbe(node.host, node.ports.client!, ['INFO', 'replication'], (r) =>
      String(r).includes('master_link_status:up'),
    );
    if (!linked) return false;
  }
  if (topology !== 'sentinel') return true;
  return redisProbe(node.host, node.ports.sentinel!, ['PING'], (r) => r === 'PONG');
}

// Every sentinel must know the primary, its replicas and the other sentinels (found by hello
// messages) before a failover can work.
async function sentinelsReady(all: readonly ClusterNode[]): Promise<boolean> {
  const checks = await Promise.all(
    all.map((n) =>
      redisProbe(n.host, n.ports.sentinel!, ['SENTINEL', 'MASTER', SENTINEL_MASTER], (r) => {
        const f = fields(r);
        const others = String(all.length - 1);
        return (
          String(f.get('num-slaves')) === others &&
          String(f.get('num-other-sentinels')) === others &&
          f.get('flags') === 'master'
        );
      }),
    ),
  );
  return checks.every(Boolean);
}

/**
 * Why Sentinel's partitions cannot be exact on a runtime that routes per pair (local): each
 * sentinel dials every redis-server and every other sentinel at the address that node
 * announces (learnt from INFO and hello messages), one address for all, and after a failover
 * the sentinels point the replicas at the new primary's own address; no per-pair route can
 * carry that, and neither protocol names its sender.
 */
const SENTINEL_PARTITION =
  "redis sentinel: the sentinels dial every redis-server and every other sentinel at the one address each announces, and after a failover point replicas at the new primary's own address, so node-to-node traffic cannot be routed per pair and no partition is exact here (use --runtime docker)";

const UNROUTED_PARTITION =
  "the cluster was deployed without partitions: replicas dial their primary through per-pair proxy routes only when the run asks for partitions (the proxy's hop changes how far replicas lag)";

export const redisTarget = defineTarget<RedisOptions>({
  name: 'redis',
  description: 'Redis: single, primary + replicas, or Sentinel with automatic failover',
  options,
  topologies: ['single', 'replicas', 'sentinel'],
  defaultTopology: 'single',
  defaultNodes: (topology) => (topology === 'single' ? 1 : 3),
  checkNodes(topology, n) {
    if (topology === 'single' && n !== 1) return 'redis single: exactly 1 node';
    if (topology !== 'single' && (n < 2 || n > 9)) return `redis ${topology}: 2 to 9 nodes (got ${n})`;
    return undefined;
  },
  ports: (topology): Record<string, number> =>
    topology === 'sentinel' ? { client: 6379, sentinel: 26379 } : { client: 6379 },
  deploy(o, ctx, slots): Deployment {
    const [primary, ...replicas] = slots;
    if (!primary) throw new Error('redis: no nodes');
    const quorum = Math.floor(slots.length / 2) + 1;
    const sentinel = { binary: o.sentinelBinary, quorum, downAfterMs: o.sentinelDownAfterMs };
    const skew = fakeClock(ctx);
    const sentinels = ctx.topology === 'sentinel';
    // Through the proxy only when the run cuts links: its hop changes how far replicas lag.
    const routed = !sentinels && ctx.faults.includes('partition');
    return {
      nodes: slots.map((s, i) => ({
        name: s.name,
        role: i === 0 ? 'primary' : 'replica',
        command: serverCommand(o.binary, s, i === 0 ? undefined : primary, !routed),
        ...(skew ? { fakeClock: true, jemallocShim: true } : {}),
        ...(ctx.topology === 'sentinel' ? { sidecar: sentinelSidecar(s, primary, replicas, sentinel) } : {}),
      })),
      // Only replicas dial, and only their primary (Sentinel dials everyone: see below).
      ...(sentinels
        ? {}
        : { dials: Object.fromEntries(slots.map((s, i) => [s.name, i === 0 ? [] : [primary.name]])) }),
      ...(primary.peer && replicas.length > 0 && !routed
        ? { unsupported: { partition: sentinels ? SENTINEL_PARTITION : UNROUTED_PARTITION } }
        : {}),
      info: {
        primary: primary.name,
        ...(skew
          ? {
              fakeClock:
                "redis-server under libfaketime, allocating with glibc (faultline's jemalloc stand-in)",
            }
          : {}),
        ...(ctx.topology === 'sentinel'
          ? { sentinel: { master: SENTINEL_MASTER, quorum, downAfterMs: o.sentinelDownAfterMs } }
          : {}),
      },
      version: async (node) =>
        /redis_version:([^\r\n]+)/.exec(
          String(await redisCall(node.host, node.ports.client!, ['INFO', 'server'])),
        )?.[1] ?? 'unknown',
      ready: (node) => nodeReady(node, ctx.topology),
      clusterReady: ctx.topology === 'sentinel' ? sentinelsReady : undefined,
    };
  },
  clients: {
    register: openRedisRegisterClient,
    set: openRedisSetClient,
    counter: openRedisCounterClient,
    causal: openRedisCausalClient,
  },
  primaries: (cluster, _o, topology) => redisPrimaries(cluster, topology),
  logPatterns: ['REDIS BUG REPORT', 'ASSERTION FAILED', 'Guru Meditation', 'crashed by signal'],
  unsupported: (_o, ctx) =>
    fakeClock(ctx)
      ? {}
      : {
          clock:
            'the cluster was deployed without clock faults (Redis runs under libfaketime only when the run asks for them)',
        },
});
