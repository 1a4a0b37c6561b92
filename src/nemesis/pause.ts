/**
 * Pause and resume: freeze every process of the chosen nodes (the container's cgroup freezer,
 * `docker pause`), then thaw them. A paused node keeps its connections open but answers
 * nothing: to its peers and clients it looks like a very long GC pause. Targets as for kill.
 */

import type { Rng } from '../runner/rng.js';
import type { Cluster } from '../runtime/cluster.js';
import { onEach } from './act.js';
import { applicableTargets, selectNodes } from './nodes.js';
import type { Fault, NodeTarget } from './types.js';

export const DEFAULT_PAUSE_TARGETS: readonly NodeTarget[] = [
  'one',
  'minority',
  'majority',
  'primaries',
  'all',
];

export function pauseFault(
  targets: readonly NodeTarget[],
  nodes: readonly string[],
  hasPrimary: boolean,
  rng: Pick<Rng, 'int'>,
): Extract<Fault, { family: 'pause' }> {
  const usable = applicableTargets(targets, nodes.length, hasPrimary);
  if (usable.length === 0) throw new Error(`pause: no usable target among ${targets.join(', ')}`);
  const target = usable[rng.int(usable.length)]!;
  return { family: 'pause', target, on: selectNodes(target, nodes, rng) };
}

export const pauseNodes = (cluster: Cluster, nodes: readonly string[]) =>
  onEach(nodes, (n) => cluster.pause(n));

export const resumeNodes = (cluster: Cluster, nodes: readonly string[]) =>
  onEach(nodes, (n) => cluster.resume(n));
