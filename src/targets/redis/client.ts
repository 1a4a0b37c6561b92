/**
 * Redis client on ioredis. get/set, cas by a Lua script (atomic on the server). Connections
 * never queue commands offline nor resend them after a reconnect, so every outcome can be
 * classified: a reply error is definite (fail), a command that could not be written is
 * definite (fail), a timeout or a connection lost with the command in flight is unknown (info).
 * With Sentinel, the client asks the sentinels for the current primary and follows failovers.
 */
import { Redis, type RedisOptions, ReplyError } from 'ioredis';
import { type RegisterOp, registerDispatch } from '../../../workloads/register.js';
import {
  type Client,
  type Completion,
  decodeValue,
  encodeValue,
  errorCompletion,
} from '../../clients/types.js';
import type { Cluster } from '../../runtime/cluster.js';
import type { ClientFactory } from '../types.js';
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

export function redisClient(
  redis: Redis,
  nodeOf: (address: string | undefined) => string,
): Client<RegisterOp> {
  const r = redis as CasRedis;
  r.defineCommand('faultlineCas', { numberOfKeys: 1, lua: CAS_SCRIPT });
  let node = nodeOf(r.stream?.remoteAddress);

  const run = registerDispatch(String, {
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

  return {
    get node() {
      return node;
    },
    // ioredis: commandTimeout bounds a sent command; an unsent one fails at once (no offline queue).
    boundedByTimeout: true,
    async invoke(op) {
      node = nodeOf(r.stream?.remoteAddress) || node;
      try {
        return await run(op);
      } catch (e) {
        return classifyRedisError(op.f === 'read', e as Error);
      }
    },
    async close() {
      r.disconnect();
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

export const openRedisRegisterClient: ClientFactory<unknown, RegisterOp> = async (ctx) => {
  const redis = await connectRedis(ctx.cluster, ctx.topology, ctx.timeoutMs);
  const byHost = new Map(ctx.cluster.nodes.map((n) => [n.host, n.name]));
  return redisClient(redis, (address) => (address ? (byHost.get(address) ?? address) : ''));
};
