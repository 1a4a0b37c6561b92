/**
 * Latency on the chosen nodes' traffic: a delay with jitter (tc netem where the kernel has it,
 * the proxy elsewhere). In the network group with partitions and loss; undone by the network
 * heal.
 */
import { once, onEach } from './act.js';
import { describeOn, drawNodes, type FaultFamily, type NodeFault, nodeAiming } from './family.js';
import type { NodeTarget } from './types.js';

export type LatencyFault = Omit<NodeFault, 'family'> & {
  family: 'latency';
  delayMs: number;
  jitterMs: number;
};

export interface LatencyChoice {
  targets: readonly NodeTarget[];
  delayMs: number;
}

export const latencyFamily: FaultFamily<LatencyFault, LatencyChoice> = {
  name: 'latency',
  needs: ['latency'],
  group: 'network',
  defaults: { targets: ['one', 'minority', 'all'], delayMs: 100 },
  draw: (rng, ctx, choice) => ({
    family: 'latency',
    delayMs: choice.delayMs,
    jitterMs: Math.round(choice.delayMs / 2),
    ...drawNodes('latency', choice.targets, ctx, rng),
  }),
  describe: (f) => `latency ${f.delayMs}±${f.jitterMs} ms on ${describeOn(f)}`,
  ...nodeAiming,
  start: (cluster, f, aim) =>
    onEach(aim.nodes, (n) => cluster.net(n, { delayMs: f.delayMs, jitterMs: f.jitterMs })),
  stop: (cluster) => once(() => cluster.heal()),
  startEvent: (id, f, aim) => ({
    f: 'netem',
    value: { fault: id, nodes: aim.nodes, delayMs: f.delayMs, jitterMs: f.jitterMs },
  }),
  stopEvent: (id, _f, nodes) => ({ f: 'heal', value: { fault: id, of: 'latency', nodes: [...nodes] } }),
  readStart: (f, value) =>
    f === 'netem' && 'delayMs' in value ? `${value.delayMs}±${value.jitterMs} ms` : undefined,
};
