/**
 * Packet loss on the chosen nodes' incoming traffic: a percentage of packets dropped at
 * random (iptables `statistic` in the Docker runtime, the proxy elsewhere). Undone by the
 * cluster's network heal, which also lifts partitions: loss shares the network group, so it
 * never overlaps a partition or latency.
 */

import type { Rng } from '../runner/rng.js';
import { once, onEach } from './act.js';
import {
  type DrawContext,
  describeOn,
  drawNodes,
  type FaultFamily,
  type NodeFault,
  nodeAiming,
} from './family.js';
import type { NodeTarget } from './types.js';

export type LossFault = Omit<NodeFault, 'family'> & { family: 'loss'; lossPercent: number };

export interface LossChoice {
  targets: readonly NodeTarget[];
  /** Inclusive range the percentage is drawn from. */
  percent: readonly [number, number];
}

function drawLoss(rng: Rng, ctx: DrawContext, choice: LossChoice): LossFault {
  if (choice.targets.length === 0) throw new Error('loss: no target to draw from');
  const [lo, hi] = choice.percent;
  // The percentage is drawn before the nodes (the order the schedule's seed has always had).
  const lossPercent = lo + rng.int(Math.max(0, hi - lo) + 1);
  return { family: 'loss', lossPercent, ...drawNodes('loss', choice.targets, ctx, rng) };
}

export const lossFamily: FaultFamily<LossFault, LossChoice> = {
  name: 'loss',
  needs: ['loss'],
  group: 'network',
  defaults: { targets: ['one', 'minority', 'all'], percent: [20, 60] },
  draw: drawLoss,
  describe: (f) => `loss ${f.lossPercent}% on ${describeOn(f)}`,
  ...nodeAiming,
  start: (cluster, f, aim) => onEach(aim.nodes, (n) => cluster.net(n, { lossPercent: f.lossPercent })),
  stop: (cluster) => once(() => cluster.heal()),
  startEvent: (id, f, aim) => ({
    f: 'netem',
    value: { fault: id, nodes: aim.nodes, lossPercent: f.lossPercent },
  }),
  stopEvent: (id, _f, nodes) => ({ f: 'heal', value: { fault: id, of: 'loss', nodes: [...nodes] } }),
  readStart: (f, value) => (f === 'netem' && 'lossPercent' in value ? `${value.lossPercent}%` : undefined),
};
