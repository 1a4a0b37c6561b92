/** Small causal histories written by hand: `[['w', 'x', 1], ['r', 'x', null]]` per session. */
import type { History, Op, Value } from '../../../src/history/op.js';

/** f, key, value (for reads, what was read), and optionally how it completed. */
export type SOp = [f: 'w' | 'r', key: string, value: Value, type?: 'ok' | 'fail' | 'info' | 'pending'];

/** Lays sessions out round-robin (one invoke/completion pair per step) as a History. */
export function fromSessions(sessions: SOp[][]): History {
  const ops: Op[] = [];
  const longest = Math.max(0, ...sessions.map((s) => s.length));
  for (let step = 0; step < longest; step++) {
    sessions.forEach((session, process) => {
      const op = session[step];
      if (!op) return;
      const [f, key, value, type = 'ok'] = op;
      const fn = f === 'w' ? 'write' : 'read';
      ops.push({
        index: ops.length,
        time: ops.length,
        process,
        type: 'invoke',
        f: fn,
        key,
        value: f === 'w' ? value : null,
      });
      if (type === 'pending') return;
      ops.push({
        index: ops.length,
        time: ops.length,
        process,
        type,
        f: fn,
        key,
        value: f === 'w' || type === 'ok' ? value : null,
      });
    });
  }
  return { ops, realTime: false };
}
