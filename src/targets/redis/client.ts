/**
 * Redis client on ioredis. get/set, cas by a Lua script (atomic on the server). Connections
 * never queue commands offline nor resend them after a reconnect, so every outcome can be
 * classified: a reply error is definite (fail), a command that could not be written is
 * definite (fail), a timeout or a connection lost with the command in flight is unknown (info).
 * With Sentinel, the client asks the sentinels for the current primary and follows failovers.
 * Writes always go to the primary; reads too, or with the target's `readFrom: 'replica'` to a
 * replica (any protocol: register here, set, counter and causal in protocols.ts).
 */
import { Redis, type RedisOptions, ReplyError } from 'ioredis';
import { type RegisterOp, registerDispatch } from '../../../workloads/register.js';
import { sessionRoute } from '../../clients/session.js';
import {
  type Client,
  type Completion,
  decodeValue,
  encodeValue,
  errorCompletion,
  type OperationBase,
} from '../../clients/types.js';
import type { Cluster, ClusterNode } from '../../runtime/cluster.js';
import type { ClientContext, ClientFactory } from '../types.js';
import { SENTINEL_MASTER } from './deploy.js';

const CAS_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('set', KEYS[1], ARGV[2]) return 1 else return 0 end`;

type CasRedis = Redis & { faultlineCas(key: string, from: string, to: string): Promise<number> };

/** ioredis options shared by the workers and the bare benchmark loop. */
export function redisOptions(timeoutMs: number): RedisOptions {
  return {
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: timeoutMs,
    connectTimeout: timeoutMs,
    enableReadyCheck: true,
    lazyConnect: true,
    retryStrategy: (times) => Math.min(50 * times, 500),
    // After a failover the old primary answers READONLY: reconnect (sentinel finds the new one).
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 1 : false),
  };
}

/** A protocol over one connection: the operation's completion, or a throw (classified by the caller). */
export type RedisRun<Op> = (redis: Redis) => (op: Op) => Promise<Completion>;

/** The register protocol on one connection: get, set, cas by a Lua script. */
export const registerRun: RedisRun<RegisterOp> = (redis) => {
  const r = redis as CasRedis;
  r.defineCommand('faultlineCas', { numberOfKeys: 1, lua: CAS_SCRIPT });
  return registerDispatch(String, {
    async read(key): Promise<Completion> {
      const v = await r.get(key);
      return { type: 'ok', value: v === null ? null : decodeValue(v) };
    },
    async write(key, value): Promise<Completion> {
      await r.set(key, encodeValue(value));
      return { type: 'ok', value };
    },
    async cas(key, op): Promise<Completion> {
      const [from, to] = op.value;
      const swapped = await r.faultlineCas(key, encodeValue(from), encodeValue(to));
      return swapped === 1
        ? { type: 'ok', value: op.value }
        : { type: 'fail', value: op.value, error: 'cas-mismatch' };
    },
  });
};

/**
 * A client over one connection: `run` speaks the protocol, any error becomes a classified
 * completion; the node is whichever the connection reaches now (it follows failovers).
 */
export function redisClient<Op extends OperationBase = RegisterOp>(
  redis: Redis,
  nodeOf: (address: string | undefined) => string,
  run: (op: Op) => Promise<Completion> = registerRun(redis) as unknown as (op: Op) => Promise<Completion>,
): Client<Op> {
  let node = nodeOf(redis.stream?.remoteAddress);
  return {
    get node() {
      return node;
    },
    // ioredis: commandTimeout bounds a sent command; an unsent one fails at once (no offline queue).
    boundedByTimeout: true,
    async invoke(op) {
      node = nodeOf(redis.stream?.remoteAddress) || node;
      try {
        return await run(op);
      } catch (e) {
        return classifyRedisError(op.f === 'read', e as Error);
      }
    },
    async close() {
      redis.disconnect();
    },
  };
}

export function classifyRedisError(readOnly: boolean, e: Error): Completion {
  const msg = e.message ?? String(e);
  if (e instanceof ReplyError) {
    // The server answered with an error: the command did not run (READONLY, LOADING, OOM, ...).
    return errorCompletion(readOnly, true, msg.split(' ')[0]!.toLowerCase());
  }
  if (/Stream isn't writeable|enableOfflineQueue/i.test(msg))
    return errorCompletion(readOnly, true, 'not-connected');
  if (/timed out/i.test(msg)) return errorCompletion(readOnly, false, 'timeout');
  if (/Connection is closed/i.test(msg)) return errorCompletion(readOnly, false, 'connection-closed');
  return errorCompletion(readOnly, false, msg.replace(/\s+/g, '-').slice(0, 60));
}

/** A connected ioredis for a worker: the primary (single, replicas) or via the sentinels. */
export async function connectRedis(
  cluster: Pick<Cluster, 'nodes'>,
  topology: string,
  timeoutMs: number,
): Promise<Redis> {
  const base = redisOptions(timeoutMs);
  let redis: Redis;
  if (topology === 'sentinel') {
    redis = new Redis({
      ...base,
      sentinels: cluster.nodes.map((n) => ({ host: n.host, port: n.ports.sentinel! })),
      name: SENTINEL_MASTER,
      role: 'master',
      sentinelRetryStrategy: (times) => Math.min(100 * times, 1000),
      sentinelCommandTimeout: timeoutMs,
      failoverDetector: true,
    });
  } else {
    const primary = cluster.nodes.find((n) => n.role === 'primary') ?? cluster.nodes[0]!;
    redis = new Redis({ ...base, host: primary.host, port: primary.ports.client! });
  }
  redis.on('error', () => {}); // errors surface per command; the connection retries by itself
  await redis.connect();
  return redis;
}

/** A connected ioredis straight to one node (a replica to read from). */
export async function connectNode(node: ClusterNode, timeoutMs: number): Promise<Redis> {
  const redis = new Redis({ ...redisOptions(timeoutMs), host: node.host, port: node.ports.client! });
  redis.on('error', () => {});
  await redis.connect();
  return redis;
}

/**
 * A worker's client for any protocol: everything on the primary (followed through the
 * sentinels), or, with `readFrom: 'replica'`, reads on a replica: the worker's own (sticky) or
 * the next one per operation that roams (see src/clients/session.ts).
 */
export async function openRedisClient<Op extends OperationBase & { roam?: boolean }>(
  ctx: ClientContext<{ readFrom?: 'primary' | 'replica' }>,
  run: RedisRun<Op>,
): Promise<Client<Op>> {
  const byHost = new Map(ctx.cluster.nodes.map((n) => [n.host, n.name]));
  const nodeOf = (address: string | undefined) => (address ? (byHost.get(address) ?? address) : '');
  const redis = await connectRedis(ctx.cluster, ctx.topology, ctx.timeoutMs);
  const primary = redisClient(redis, nodeOf, run(redis));
  if (ctx.options.readFrom !== 'replica') return primary;
  const replicaNodes = ctx.cluster.nodes.filter((n) => n.role === 'replica');
  if (replicaNodes.length === 0) {
    await primary.close();
    throw new Error(`redis ${ctx.topology}: readFrom replica needs replicas (topology replicas or sentinel)`);
  }
  const replicas = new Map<string, Client<Op>>();
  for (const n of replicaNodes) {
    const r = await connectNode(n, ctx.timeoutMs);
    replicas.set(
      n.name,
      redisClient(r, () => n.name, run(r)),
    );
  }
  const route = sessionRoute<Op>([...replicas.keys()], ctx.worker);
  const reads = (op: Op) => op.f === 'read';
  return {
    get node() {
      return primary.node;
    },
    nodeFor: (op) => (reads(op) ? route(op) : primary.node),
    boundedByTimeout: true,
    invoke: (op) => (reads(op) ? replicas.get(route(op))! : primary).invoke(op),
    async close() {
      await Promise.all([primary, ...replicas.values()].map((c) => c.close()));
    },
  };
}

export const openRedisRegisterClient: ClientFactory<{ readFrom?: 'primary' | 'replica' }, RegisterOp> = (
  ctx,
) => openRedisClient(ctx, registerRun);
