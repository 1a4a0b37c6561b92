/**
 * Pause and resume: freeze every process of the chosen nodes (SIGSTOP, or the container's
 * cgroup freezer), then thaw them. A paused node keeps its connections open but answers
 * nothing: to its peers and clients it looks like a very long GC pause. Pause overlaps no
 * other fault: a frozen node cannot run the commands the others need, and would hide what a
 * kill or a skew does. Targets as for kill.
 */
import { processFamily } from './family.js';

export const pauseFamily = processFamily({
  name: 'pause',
  undo: 'resume',
  healedField: 'resumed',
  exclusive: true,
  defaults: { targets: ['one', 'minority', 'majority', 'primaries', 'all'] },
  act: (cluster, node) => cluster.pause(node),
  undoAct: (cluster, node) => cluster.resume(node),
});
