/**
 * Reading a run's history for the nemesis evidence: which operations failed while a fault
 * was on, and which acknowledged writes were lost (a later read went back past them).
 */
import type { Op, Value } from '../../src/history/op.js';
import { pairOperations } from '../../src/history/operations.js';
import type { NemesisInterval } from '../../src/nemesis/types.js';

export interface Completed {
  f: string;
  key: string | number | undefined;
  type: 'ok' | 'fail' | 'info';
  invoke: number;
  complete: number;
  /** The argument (writes: the value; cas: [from, to]) or the result (reads). */
  value: Value;
  node: string | undefined;
}

export function completedOps(ops: readonly Op[]): Completed[] {
  const out: Completed[] = [];
  for (const p of pairOperations({ ops: [...ops], realTime: true })) {
    const c = p.completion;
    if (!c) continue;
    out.push({
      f: p.f,
      key: p.key,
      type: p.type,
      invoke: p.invoke.time,
      complete: c.time,
      value: p.f === 'read' ? p.output : p.input,
      node: c.node ?? p.invoke.node,
    });
  }
  return out;
}

const within = (t: number, intervals: readonly NemesisInterval[]) =>
  intervals.some((i) => t >= i.start && t <= (i.end ?? Number.POSITIVE_INFINITY));

/** ok / fail / info counts of operations completed inside and outside the given intervals. */
export function outcomesAround(ops: readonly Completed[], intervals: readonly NemesisInterval[]) {
  const inside = { ok: 0, fail: 0, info: 0 };
  const outside = { ok: 0, fail: 0, info: 0 };
  for (const op of ops) (within(op.complete, intervals) ? inside : outside)[op.type]++;
  return { inside, outside };
}

export interface LostWrite {
  key: string | number;
  value: Value;
  node: string | undefined;
  acknowledged: number;
  /** The read that went back past it, and what it returned. */
  readAt: number;
  readValue: Value;
}

/**
 * Acknowledged writes (ok write, or ok cas's new value) that a read invoked after their
 * acknowledgement went back past: it returned nil or a value whose write had completed before
 * this one was even invoked. With unique values per key, that is a lost update.
 */
export function lostWrites(ops: readonly Completed[]): LostWrite[] {
  const writes = new Map<string, Map<string, { invoke: number; complete: number; node?: string }>>();
  const reads = new Map<string, Completed[]>();
  const id = (v: Value) => JSON.stringify(v);
  for (const op of ops) {
    if (op.type !== 'ok' || op.key === undefined) continue;
    const k = String(op.key);
    if (op.f === 'write' || op.f === 'cas') {
      const value = op.f === 'cas' ? (op.value as Value[])[1]! : op.value;
      if (!writes.has(k)) writes.set(k, new Map());
      writes.get(k)!.set(id(value), { invoke: op.invoke, complete: op.complete, node: op.node });
    } else if (op.f === 'read') {
      if (!reads.has(k)) reads.set(k, []);
      reads.get(k)!.push(op);
    }
  }
  const lost: LostWrite[] = [];
  for (const [k, ws] of writes) {
    for (const [v, w] of ws) {
      const back = (reads.get(k) ?? []).find((r) => {
        if (r.invoke <= w.complete || id(r.value) === v) return false;
        if (r.value === null) return true;
        const older = ws.get(id(r.value));
        return older !== undefined && older.complete < w.invoke;
      });
      if (back) {
        lost.push({
          key: k,
          value: JSON.parse(v) as Value,
          node: w.node,
          acknowledged: w.complete,
          readAt: back.invoke,
          readValue: back.value,
        });
      }
    }
  }
  return lost.sort((a, b) => a.acknowledged - b.acknowledged);
}
