/** The targets faultline can deploy. */
import { etcdTarget } from './etcd.js';
import { kvstoreTarget } from './kvstore.js';
import { redisTarget } from './redis.js';
import type { Target } from './types.js';

export const TARGETS: Record<string, Target> = {
  etcd: etcdTarget,
  redis: redisTarget,
  kvstore: kvstoreTarget,
};

export function targetByName(name: string): Target {
  const t = TARGETS[name];
  if (!t) throw new Error(`unknown target "${name}" (known: ${Object.keys(TARGETS).join(', ')})`);
  return t;
}

export type { Deployment, NodeSpec, Target, TargetOptions } from './types.js';
