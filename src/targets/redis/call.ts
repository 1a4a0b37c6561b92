/**
 * One Redis command on a short-lived ioredis connection, for readiness probes, versions and
 * primary detection (the workers keep their own connections, see client.ts).
 */
import { Redis } from 'ioredis';

export type Reply = string | number | null | Reply[];

export async function redisCall(
  host: string,
  port: number,
  args: readonly string[],
  timeoutMs = 1000,
): Promise<Reply> {
  const redis = new Redis({
    host,
    port,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.call(args[0]!, ...args.slice(1))) as Reply;
  } finally {
    redis.disconnect();
  }
}

/** Whether a command's reply passes `accept` (false on any error). */
export async function redisProbe(
  host: string,
  port: number,
  args: readonly string[],
  accept: (reply: Reply) => boolean,
): Promise<boolean> {
  try {
    return accept(await redisCall(host, port, args));
  } catch {
    return false;
  }
}

/** A flat [field, value, field, value, ...] reply as a lookup. */
export function fields(reply: Reply): Map<string, Reply> {
  const map = new Map<string, Reply>();
  if (!Array.isArray(reply)) return map;
  for (let i = 0; i + 1 < reply.length; i += 2) map.set(String(reply[i]), reply[i + 1]!);
  return map;
}
