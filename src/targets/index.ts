/** The targets faultline ships; a config file may pass its own `Target` object instead. */
import { etcdTarget } from './etcd/index.js';
import { kvstoreTarget } from './kvstore/index.js';
import { redisTarget } from './redis/index.js';
import type { Target } from './types.js';

export const TARGETS: Readonly<Record<string, Target>> = {
  kvstore: kvstoreTarget,
  etcd: etcdTarget,
  redis: redisTarget,
};

export function targetByName(name: string): Target {
  const t = Object.hasOwn(TARGETS, name) ? TARGETS[name] : undefined;
  if (!t) throw new Error(`unknown target "${name}" (known: ${Object.keys(TARGETS).join(', ')})`);
  return t;
}

export type { DeployContext, Deployment, NodeSpec, Target } from './types.js';
