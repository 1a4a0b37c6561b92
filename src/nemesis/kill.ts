/**
 * Kill and restart: SIGKILL the database process on the chosen nodes (the node, its data and
 * its network stay), then start it again in place. Targets: one, minority, majority,
 * primaries (found at run time), all.
 */
import { processFamily } from './family.js';

export const killFamily = processFamily({
  name: 'kill',
  undo: 'start',
  healedField: 'started',
  defaults: { targets: ['one', 'minority', 'majority', 'primaries', 'all'] },
  act: (cluster, node) => cluster.kill(node),
  undoAct: (cluster, node) => cluster.start(node),
});
