/** The client for each target. */
import { openEtcdClient } from './etcd.js';
import { openHttpKvClient } from './httpkv.js';
import { openRedisClient } from './redis.js';
import type { ClientFactory } from './types.js';

export const CLIENTS: Record<string, ClientFactory> = {
  etcd: openEtcdClient,
  redis: openRedisClient,
  kvstore: openHttpKvClient,
};

export function clientFor(target: string): ClientFactory {
  const factory = CLIENTS[target];
  if (!factory)
    throw new Error(`no client for target "${target}" (known: ${Object.keys(CLIENTS).join(', ')})`);
  return factory;
}

export type { Client, ClientFactory, ClientOp, ClientOptions, Completion } from './types.js';
