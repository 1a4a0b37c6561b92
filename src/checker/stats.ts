/**
 * The simplest checker: counts ok/fail/info per operation kind. Valid unless some kind never
 * succeeded, as Jepsen's stats checker does, so a run where every write failed is flagged.
 */
import { pairOperations } from '../history/operations.js';
import type { Checker } from './types.js';

export interface Counts {
  count: number;
  ok: number;
  fail: number;
  info: number;
}

export const statsChecker: Checker = {
  name: 'stats',
  async check(history) {
    const byF: Record<string, Counts> = {};
    const total: Counts = { count: 0, ok: 0, fail: 0, info: 0 };
    for (const op of pairOperations(history)) {
      byF[op.f] ??= { count: 0, ok: 0, fail: 0, info: 0 };
      for (const c of [byF[op.f]!, total]) {
        c.count++;
        c[op.type]++;
      }
    }
    const neverOk = Object.entries(byF)
      .filter(([, c]) => c.ok === 0)
      .map(([f]) => f);
    const summary =
      `${total.count} operations: ${total.ok} ok, ${total.fail} fail, ${total.info} info` +
      (neverOk.length > 0 ? `; never succeeded: ${neverOk.join(', ')}` : '');
    return { checker: 'stats', valid: neverOk.length === 0, summary, total, byF, neverOk };
  },
};
