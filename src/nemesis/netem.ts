/**
 * Packet faults on the chosen nodes' incoming traffic.
 *
 *   loss     drop a percentage of packets at random (iptables `statistic` match; works without
 *            kernel netem);
 *   latency  delay packets (tc netem). Only where the kernel has netem: the runtime probes for
 *            it and says so; on a kernel without it, asking for latency fails before the run.
 *
 * Both are undone by the cluster's network heal, which also lifts partitions: the schedule
 * never overlaps a packet fault with a partition.
 */

import type { Rng } from '../runner/rng.js';
import type { Cluster } from '../runtime/cluster.js';
import { once, onEach } from './act.js';
import { applicableTargets, selectNodes } from './nodes.js';
import type { Fault, NodeTarget } from './types.js';

export const DEFAULT_LOSS_TARGETS: readonly NodeTarget[] = ['one', 'minority', 'all'];
export const DEFAULT_LOSS_PERCENT: readonly [number, number] = [20, 60];
export const DEFAULT_LATENCY_MS = 100;

export function lossFault(
  targets: readonly NodeTarget[],
  percent: readonly [number, number],
  nodes: readonly string[],
  hasPrimary: boolean,
  rng: Pick<Rng, 'int'>,
): Extract<Fault, { family: 'loss' }> {
  const usable = applicableTargets(targets, nodes.length, hasPrimary);
  if (usable.length === 0) throw new Error(`loss: no usable target among ${targets.join(', ')}`);
  const [lo, hi] = percent;
  const lossPercent = lo + rng.int(Math.max(0, hi - lo) + 1);
  const target = usable[rng.int(usable.length)]!;
  return { family: 'loss', lossPercent, on: selectNodes(target, nodes, rng) };
}

export function latencyFault(
  targets: readonly NodeTarget[],
  delayMs: number,
  nodes: readonly string[],
  hasPrimary: boolean,
  rng: Pick<Rng, 'int'>,
): Extract<Fault, { family: 'latency' }> {
  const usable = applicableTargets(targets, nodes.length, hasPrimary);
  if (usable.length === 0) throw new Error(`latency: no usable target among ${targets.join(', ')}`);
  const target = usable[rng.int(usable.length)]!;
  return {
    family: 'latency',
    delayMs,
    jitterMs: Math.round(delayMs / 2),
    on: selectNodes(target, nodes, rng),
  };
}

export const lossOn = (cluster: Cluster, nodes: readonly string[], lossPercent: number) =>
  onEach(nodes, (n) => cluster.netem(n, { lossPercent }));

export const latencyOn = (cluster: Cluster, nodes: readonly string[], delayMs: number, jitterMs: number) =>
  onEach(nodes, (n) => cluster.netem(n, { delayMs, jitterMs }));

/** Lifts every network fault (packet faults and partitions) on every node. */
export const healNetwork = (cluster: Cluster) => once(() => cluster.heal());

/** One line on what packet faults this cluster can do, for the CLI and run.json. */
export function packetFaultSupport(cluster: Pick<Cluster, 'faults'>): string {
  const say = (name: string, how: string) => {
    const s = cluster.faults[name as 'loss' | 'latency'];
    return s.supported ? `${name}: available (${how})` : `${name}: unavailable (${s.reason})`;
  };
  return `${say('loss', 'iptables statistic')}; ${say('latency', 'tc netem')}`;
}
