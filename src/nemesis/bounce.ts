/**
 * Bounce: SIGKILL the database on the chosen nodes and start it again at once, as a supervisor
 * restarting a crashed process would: a crash-recovery blip (what was acknowledged must survive
 * the restart) without the long outage of `kill`, whose nodes stay down for the fault's length.
 * Its stop has nothing left to undo. Targets as for kill.
 */
import { onEach } from './act.js';
import { describeOn, drawNodes, type FaultFamily, type NodeFault, nodeAiming } from './family.js';
import type { NodeTarget } from './types.js';

export type BounceFault = Omit<NodeFault, 'family'> & { family: 'bounce' };

export const bounceFamily: FaultFamily<BounceFault, { targets: readonly NodeTarget[] }> = {
  name: 'bounce',
  needs: ['kill'],
  // Shares kill's ability and its node states: never at the same time as a kill.
  group: 'kill',
  defaults: { targets: ['one', 'minority', 'majority', 'primaries', 'all'] },
  draw: (rng, ctx, choices) => ({ family: 'bounce', ...drawNodes('bounce', choices.targets, ctx, rng) }),
  describe: (f) => `bounce ${f.target} ${describeOn(f)}`,
  ...nodeAiming,
  start: (cluster, _f, aim) =>
    onEach(aim.nodes, async (n) => {
      await cluster.kill(n);
      await cluster.start(n);
    }),
  stop: async () => [],
  startEvent: (id, f, aim) => ({ f: 'bounce', value: { fault: id, target: f.target, nodes: aim.nodes } }),
  stopEvent: (id, f, nodes) => ({ f: 'bounced', value: { fault: id, target: f.target, nodes: [...nodes] } }),
  readStart: (f, value) => (f === 'bounce' ? String(value.target ?? '') : undefined),
};
