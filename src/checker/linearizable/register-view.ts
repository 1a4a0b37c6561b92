/**
 * One register key's operations seen as writers and observers of values, on typed arrays: what
 * the minimal witness (witness.ts) and the plain-words classification (classify.ts) reason with.
 *
 * An observer (an ok read, any cas) needs a value; a writer (a write, a cas) installs one. The
 * *possible sources* of an observer are the writers of its value that some linearization of the
 * whole key could have placed last before it: invoked before the observer returned, and not
 * overwritten for certain (no ok write that began after the source returned and itself returned
 * before the observer began). A subset of the operations that holds, for each of its observers,
 * every possible source (the "requirements" below) keeps this property: if the whole key were
 * linearizable, so would the subset be (restrict the linearization to it: each observer's source
 * is still there and nothing new sits in between). So a non-linearizable closed subset proves
 * the whole key non-linearizable, which is what makes it a witness.
 */

import type { Value } from '../../history/op.js';
import type { Operation } from '../../history/operations.js';
import { interner } from '../intern.js';
import type { Model } from './model.js';
import { valueKey } from './models/values.js';

export interface RegisterView {
  n: number;
  /** The operations the model does not ignore, in call order (failed cas never included). */
  ops: readonly Operation[];
  call: Float64Array;
  /** Return event index; +Infinity for info operations. */
  ret: Float64Array;
  /** Value id an operation needs (ok read, cas's expected value), or -1. */
  needs: Int32Array;
  /** Value id an operation installs (write, cas's new value), or -1. */
  installs: Int32Array;
  /** 1 when the operation completed ok (every linearization contains it). */
  ok: Uint8Array;
  /** The model's initial value's id. */
  initial: number;
  values: Value[];
  /** Writers of each value id, in call order. */
  writersOf: Int32Array[];
  /** Ok writers in call order, with the suffix minimum of their return and its argmin. */
  okWriters: Int32Array;
  sufMinRet: Float64Array;
  sufArg: Int32Array;
  /** Requirements per operation, computed on demand. */
  req: Array<Int32Array | undefined>;
}

export const REGISTER_MODELS = new Set(['register', 'cas-register']);

const writeArg = (op: Operation): Value => (op.input === null && op.type === 'ok' ? op.output : op.input);
const casArg = (op: Operation, i: 0 | 1): Value => ((op.input ?? op.output) as Value[])[i] ?? null;

/** Builds the view; undefined when the model is not a read/write(/cas) register. */
export function registerView(model: Model, all: readonly Operation[]): RegisterView | undefined {
  if (!REGISTER_MODELS.has(model.name)) return undefined;
  const ignore = (op: Operation) => (model.ignore ? model.ignore(op) : op.type === 'fail');
  const ops = all.filter((op) => !ignore(op) && op.type !== 'fail');
  const n = ops.length;
  const values: Value[] = [];
  const intern = interner<string, Value>(values);
  const id = (v: Value) => intern(valueKey(v), v);
  const initial = id((model.init()[0] ?? null) as Value);
  const call = new Float64Array(n);
  const ret = new Float64Array(n);
  const needs = new Int32Array(n).fill(-1);
  const installs = new Int32Array(n).fill(-1);
  const ok = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const op = ops[i]!;
    call[i] = op.callIndex;
    ret[i] = op.type === 'ok' ? op.returnIndex : Number.POSITIVE_INFINITY;
    ok[i] = op.type === 'ok' ? 1 : 0;
    if (op.f === 'read') needs[i] = id(op.output);
    else if (op.f === 'write') installs[i] = id(writeArg(op));
    else {
      needs[i] = id(casArg(op, 0));
      installs[i] = id(casArg(op, 1));
    }
  }
  return { n, ops, call, ret, needs, installs, ok, initial, values, ...writerTables(n, installs, ok, ret) };
}

function writerTables(n: number, installs: Int32Array, ok: Uint8Array, ret: Float64Array) {
  const counts: number[] = [];
  for (let i = 0; i < n; i++) if (installs[i]! >= 0) counts[installs[i]!] = (counts[installs[i]!] ?? 0) + 1;
  const writersOf = Array.from({ length: counts.length }, (_, v) => new Int32Array(counts[v] ?? 0));
  const fill = new Int32Array(counts.length);
  let okCount = 0;
  for (let i = 0; i < n; i++) {
    const v = installs[i]!;
    if (v < 0) continue;
    writersOf[v]![fill[v]!++] = i;
    if (ok[i]) okCount++;
  }
  const okWriters = new Int32Array(okCount);
  for (let i = 0, k = 0; i < n; i++) if (installs[i]! >= 0 && ok[i]) okWriters[k++] = i;
  const sufMinRet = new Float64Array(okCount + 1).fill(Number.POSITIVE_INFINITY);
  const sufArg = new Int32Array(okCount + 1).fill(-1);
  for (let k = okCount - 1; k >= 0; k--) {
    const r = ret[okWriters[k]!]!;
    const better = r < sufMinRet[k + 1]!;
    sufMinRet[k] = better ? r : sufMinRet[k + 1]!;
    sufArg[k] = better ? okWriters[k]! : sufArg[k + 1]!;
  }
  return { writersOf, okWriters, sufMinRet, sufArg, req: new Array<Int32Array | undefined>(n) };
}

/** The ok writer invoked after event `t` that returned first (its index), or -1. */
export function firstOkWriterAfter(view: RegisterView, t: number): number {
  const { okWriters, call } = view;
  let lo = 0;
  let hi = okWriters.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (call[okWriters[mid]!]! > t) hi = mid;
    else lo = mid + 1;
  }
  return view.sufArg[lo]!;
}

/** True when writer j was certainly overwritten before observer i began. */
export function overwritten(view: RegisterView, j: number, i: number): boolean {
  const d = firstOkWriterAfter(view, view.ret[j]!);
  return d >= 0 && view.ret[d]! < view.call[i]!;
}

/** Possible sources of observer i's value (see the file comment); `init` when the initial value could be. */
export function possibleSources(view: RegisterView, i: number): { writers: number[]; init: boolean } {
  const v = view.needs[i]!;
  const writers: number[] = [];
  if (v < 0) return { writers, init: false };
  for (const j of view.writersOf[v] ?? []) {
    if (j === i || view.call[j]! >= view.ret[i]!) continue;
    if (!overwritten(view, j, i)) writers.push(j);
  }
  const d = firstOkWriterAfter(view, Number.NEGATIVE_INFINITY);
  const init = v === view.initial && !(d >= 0 && view.ret[d]! < view.call[i]!);
  return { writers, init };
}

/** The latest writer of observer i's value invoked before i returned (other than i), or -1. */
export function latestWriter(view: RegisterView, i: number): number {
  let best = -1;
  for (const j of view.writersOf[view.needs[i]!] ?? []) {
    if (j === i || view.call[j]! >= view.ret[i]!) continue;
    if (best < 0 || view.ret[j]! > view.ret[best]!) best = j;
  }
  return best;
}

/**
 * What a witness holding operation i must also hold: its possible sources; for an ok observer
 * without any, the evidence that its value was stale (the latest writer of the value and the
 * ok write that overwrote it before i began) or nothing when no one ever wrote the value.
 */
export function requirements(view: RegisterView, i: number): Int32Array {
  const cached = view.req[i];
  if (cached) return cached;
  const { writers, init } = possibleSources(view, i);
  let out = writers;
  if (writers.length === 0 && !init && view.ok[i] && view.needs[i]! >= 0) {
    const j = latestWriter(view, i);
    // Never written (before i returned): i alone is the proof.
    if (j >= 0 || view.needs[i] === view.initial) {
      const d = firstOkWriterAfter(view, j >= 0 ? view.ret[j]! : Number.NEGATIVE_INFINITY);
      out = [j, d].filter((x) => x >= 0 && x !== i);
    }
  }
  const arr = Int32Array.from(out);
  view.req[i] = arr;
  return arr;
}

/** The smallest superset of `xs` holding every member's requirements. */
export function closure(view: RegisterView, xs: Iterable<number>): Set<number> {
  const out = new Set<number>();
  const todo = [...xs];
  while (todo.length > 0) {
    const i = todo.pop()!;
    if (out.has(i)) continue;
    out.add(i);
    for (const j of requirements(view, i)) if (!out.has(j)) todo.push(j);
  }
  return out;
}

/** The largest subset of `xs` holding every member's requirements. */
export function interior(view: RegisterView, xs: Iterable<number>): Set<number> {
  const out = new Set(xs);
  for (let changed = true; changed; ) {
    changed = false;
    for (const i of out) {
      const req = requirements(view, i);
      for (let k = 0; k < req.length; k++) {
        if (out.has(req[k]!)) continue;
        out.delete(i);
        changed = true;
        break;
      }
    }
  }
  return out;
}
