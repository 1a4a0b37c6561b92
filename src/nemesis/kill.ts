/**
 * Kill and restart: SIGKILL the database process on the chosen nodes (the container, its
 * data and its network stay), then start it again in place. Targets: one, minority,
 * majority, primaries (found at run time), all.
 */

import type { Rng } from '../runner/rng.js';
import type { Cluster } from '../runtime/cluster.js';
import { onEach } from './act.js';
import { applicableTargets, selectNodes } from './nodes.js';
import type { Fault, NodeTarget } from './types.js';

export const DEFAULT_KILL_TARGETS: readonly NodeTarget[] = [
  'one',
  'minority',
  'majority',
  'primaries',
  'all',
];

export function killFault(
  targets: readonly NodeTarget[],
  nodes: readonly string[],
  hasPrimary: boolean,
  rng: Pick<Rng, 'int'>,
): Extract<Fault, { family: 'kill' }> {
  const usable = applicableTargets(targets, nodes.length, hasPrimary);
  if (usable.length === 0) throw new Error(`kill: no usable target among ${targets.join(', ')}`);
  const target = usable[rng.int(usable.length)]!;
  return { family: 'kill', target, on: selectNodes(target, nodes, rng) };
}

/** Kills the database on each node; resolves with per-node errors. */
export const killNodes = (cluster: Cluster, nodes: readonly string[]) =>
  onEach(nodes, (n) => cluster.kill(n));

/** Starts the database again on each node. */
export const startNodes = (cluster: Cluster, nodes: readonly string[]) =>
  onEach(nodes, (n) => cluster.start(n));
