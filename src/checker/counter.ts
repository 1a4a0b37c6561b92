/**
 * The counter checker (Jepsen's counter): increments (`incr`, value = delta) and reads of a
 * counter per key. Every ok read must lie between
 *   lower = initial + increments acknowledged before the read began (positive deltas)
 *                   + decrements attempted before it ended (they may have applied),
 *   upper = initial + increments attempted before the read ended (ok, info or still open)
 *                   + decrements acknowledged before it began.
 * A read below is lost updates; above is an increment applied twice or one never asked for.
 * One sweep over the history with running sums per key: O(n), no object per operation.
 */
import type { History, Key, Op, Value } from '../history/op.js';
import { FAIL, OK, pairEvents } from './sweep.js';
import type { Checker, CheckResult, Verdict } from './types.js';

export interface CounterOptions {
  /** The counter's value before the history (default 0); a read of null means this value. */
  initial?: number;
  /** The name of the increment operation (default 'incr'). */
  incr?: string;
  /** How many out-of-bounds reads to describe (default 20). */
  maxEvidence?: number;
}

export interface CounterReadEvidence {
  key: Key | undefined;
  process: number;
  /** Positions (event indexes) of the read's invocation and completion. */
  invokeIndex: number;
  completeIndex: number;
  /** Nanoseconds since the run started, as in the history. */
  time: number;
  value: Value;
  lower: number;
  upper: number;
  problem: 'below' | 'above' | 'not-a-number';
}

/** The tallies and evidence of a counter check. */
export interface CounterCounts {
  reads: number;
  increments: { attempted: number; ok: number; fail: number; info: number };
  outOfBounds: number;
  /** The first out-of-bounds reads, in completion order. */
  errors: CounterReadEvidence[];
  /** Per key, the last ok read and its bounds. */
  final: { key: Key | undefined; value: number; lower: number; upper: number }[];
}

export interface CounterResult extends CheckResult, CounterCounts {
  checker: 'counter';
  valid: Verdict;
  summary: string;
}

/** Running sums per key slot. */
class Sums {
  readonly okPos: Float64Array;
  readonly okNeg: Float64Array;
  readonly attPos: Float64Array;
  readonly attNeg: Float64Array;
  constructor(keys: number) {
    this.okPos = new Float64Array(keys);
    this.okNeg = new Float64Array(keys);
    this.attPos = new Float64Array(keys);
    this.attNeg = new Float64Array(keys);
  }
}

const delta = (op: Op) => (typeof op.value === 'number' && Number.isFinite(op.value) ? op.value : 0);

export function checkCounter(history: History, options: CounterOptions = {}): CounterResult {
  const { ops } = history;
  const initial = options.initial ?? 0;
  const incr = options.incr ?? 'incr';
  const maxEvidence = options.maxEvidence ?? 20;
  const pairing = pairEvents(ops);
  const { completion, outcome, keySlot, keys } = pairing;
  const sums = new Sums(keys.length);
  // What the sums held when each read began (okPos, okNeg), indexed by the read's invocation.
  const atInvokePos = new Float64Array(ops.length);
  const atInvokeNeg = new Float64Array(ops.length);
  const invokeOf = new Int32Array(ops.length).fill(-1);
  const increments = { attempted: 0, ok: 0, fail: 0, info: 0 };
  const errors: CounterReadEvidence[] = [];
  const final = new Map<number, CounterCounts['final'][number]>();
  let reads = 0;
  let outOfBounds = 0;
  for (let p = 0; p < ops.length; p++) {
    const op = ops[p]!;
    if (op.process === 'nemesis') continue;
    const k = keySlot[p]!;
    if (op.type === 'invoke') {
      const c = completion[p]!;
      if (c >= 0) invokeOf[c] = p;
      if (op.f === incr) {
        const o = outcome[p]!;
        increments[o === OK ? 'ok' : o === FAIL ? 'fail' : 'info']++;
        if (o === FAIL) continue; // certainly never applied: neither bound counts it
        increments.attempted++;
        const d = delta(op);
        if (d > 0) sums.attPos[k]! += d;
        else sums.attNeg[k]! += d;
      } else if (op.f === 'read') {
        atInvokePos[p] = sums.okPos[k]!;
        atInvokeNeg[p] = sums.okNeg[k]!;
      }
      continue;
    }
    if (op.type !== 'ok') continue;
    const inv = invokeOf[p]!;
    if (inv < 0) continue;
    if (op.f === incr) {
      const d = delta(ops[inv]!);
      if (d > 0) sums.okPos[k]! += d;
      else sums.okNeg[k]! += d;
    } else if (op.f === 'read') {
      reads++;
      const lower = initial + atInvokePos[inv]! + sums.attNeg[k]!;
      const upper = initial + sums.attPos[k]! + atInvokeNeg[inv]!;
      const v = op.value === null ? initial : op.value;
      const problem =
        typeof v !== 'number' ? 'not-a-number' : v < lower ? 'below' : v > upper ? 'above' : undefined;
      if (typeof v === 'number') final.set(k, { key: keys[k], value: v, lower, upper });
      if (!problem) continue;
      outOfBounds++;
      if (errors.length < maxEvidence) {
        errors.push({
          ...{ key: keys[k], process: op.process as number, invokeIndex: ops[inv]!.index },
          ...{ completeIndex: op.index, time: op.time, value: op.value, lower, upper, problem },
        });
      }
    }
  }
  return result(history, { reads, increments, outOfBounds, errors, final: [...final.values()] });
}

function result(history: History, r: CounterCounts): CounterResult {
  if (!history.realTime) {
    const summary = 'not checked: the history has no real-time order, which the bounds need';
    return { checker: 'counter', valid: 'unknown', summary, ...r };
  }
  const first = r.errors[0];
  const why = first
    ? `; e.g. process ${first.process} read ${JSON.stringify(first.value)}${first.key === undefined ? '' : ` of ${first.key}`} at event ${first.completeIndex}, ${
        first.problem === 'below'
          ? `below ${first.lower}, the sum of the increments acknowledged before it began (lost increments)`
          : first.problem === 'above'
            ? `above ${first.upper}, the sum of every increment attempted before it ended (applied twice, or never asked for)`
            : 'which is not a number'
      }`
    : '';
  const { attempted, ok } = r.increments;
  const summary =
    r.outOfBounds === 0
      ? `all ${r.reads} reads within bounds (${attempted} increments attempted, ${ok} acknowledged)`
      : `${r.outOfBounds} of ${r.reads} reads out of bounds${why}`;
  return { checker: 'counter', valid: r.outOfBounds === 0, summary, ...r };
}

export const counterChecker: Checker = {
  name: 'counter',
  async check(history, options) {
    return checkCounter(history, options as CounterOptions);
  },
};
