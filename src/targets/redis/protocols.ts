/**
 * Redis clients for the set, counter and causal workloads, on the connections of client.ts
 * (writes on the primary, reads on the primary or, with `readFrom: 'replica'`, on a replica):
 *   set      SADD key element; SMEMBERS key, as numbers in ascending order;
 *   counter  INCRBY key delta (the ok completion carries the delta); GET key (0 when absent);
 *   causal   the register's GET and SET; roaming sessions read from the next replica each time.
 */
import { type CausalOp, causalAsRegister } from '../../../workloads/causal.js';
import { type CounterOp, counterDispatch } from '../../../workloads/counter.js';
import { type SetOp, setDispatch } from '../../../workloads/set.js';
import type { Completion } from '../../clients/types.js';
import type { ClientFactory } from '../types.js';
import { openRedisClient, type RedisRun, registerRun } from './client.js';

type ReadFrom = { readFrom?: 'primary' | 'replica' };

const setKey = (k: unknown) => `set:${String(k)}`;
const counterKey = (k: unknown) => `counter:${String(k)}`;

export const setRun: RedisRun<SetOp> = (redis) =>
  setDispatch(setKey, {
    async add(key, element): Promise<Completion> {
      await redis.sadd(key, String(element));
      return { type: 'ok', value: element };
    },
    async read(key): Promise<Completion> {
      const members = (await redis.smembers(key)).map(Number).sort((a, b) => a - b);
      return { type: 'ok', value: members };
    },
  });

export const counterRun: RedisRun<CounterOp> = (redis) =>
  counterDispatch(counterKey, {
    async incr(key, delta): Promise<Completion> {
      await redis.incrby(key, delta);
      return { type: 'ok', value: delta };
    },
    async read(key): Promise<Completion> {
      const v = await redis.get(key);
      return { type: 'ok', value: v === null ? 0 : Number(v) };
    },
  });

export const causalRun: RedisRun<CausalOp> = (redis) => {
  const register = registerRun(redis);
  return (op) => register(causalAsRegister(op));
};

export const openRedisSetClient: ClientFactory<ReadFrom, SetOp> = (ctx) => openRedisClient(ctx, setRun);
export const openRedisCounterClient: ClientFactory<ReadFrom, CounterOp> = (ctx) =>
  openRedisClient(ctx, counterRun);
export const openRedisCausalClient: ClientFactory<ReadFrom, CausalOp> = (ctx) =>
  openRedisClient(ctx, causalRun);
