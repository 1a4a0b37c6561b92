/**
 * From operations to search problems: P-compositionality (one sub-history per key), the
 * model's own filtering (failed operations, unknown reads), and the compiled arrays.
 */
import { OpError } from '../../history/errors.js';
import type { Key } from '../../history/op.js';
import type { Call, Operation } from '../../history/operations.js';
import { genericKernel, type Model, type ModelOp } from './model.js';
import { valueKey } from './models/index.js';
import type { Problem } from './search/index.js';

/**
 * Splits operations by key, in order of first appearance; one group when no op has a key.
 * With a model, first throws OpError naming the first operation it cannot interpret (one
 * pass for both: a history of 10^6 operations is not read from memory twice).
 */
export function partitionByKey(ops: readonly Operation[], model?: Model): Map<Key | undefined, Operation[]> {
  const groups = new Map<Key | undefined, Operation[]>();
  const validates = model?.validate !== undefined;
  for (const op of ops) {
    if (validates) {
      const reason = model!.validate!(op);
      if (reason !== undefined) throw new OpError(op.callIndex, reason);
    }
    let g = groups.get(op.key);
    if (g === undefined) {
      g = [];
      groups.set(op.key, g);
    }
    g.push(op);
  }
  return groups;
}

/**
 * Throws OpError naming the first call, in call order, the model cannot interpret (as
 * partitionByKey does) in calls already split by key.
 */
export function validateGroups(groups: ReadonlyMap<Key | undefined, readonly Call[]>, model: Model): void {
  const validate = model.validate;
  if (validate === undefined) return;
  let first: Call | undefined;
  let reason: string | undefined;
  for (const calls of groups.values())
    for (const op of calls) {
      // Each group is in call order: past the earliest refusal found, none can be earlier.
      if (first !== undefined && op.callIndex > first.callIndex) break;
      const why = validate(op);
      if (why !== undefined) {
        first = op;
        reason = why;
        break;
      }
    }
  if (first !== undefined) throw new OpError(first.callIndex, reason!);
}

const isIgnored = (model: Model, op: ModelOp) => (model.ignore ? model.ignore(op) : op.type === 'fail');

export interface Prepared<T extends ModelOp> {
  problem: Problem;
  /** The operations the search sees, in its numbering (call order). */
  ops: T[];
}

interface TimedOp {
  callIndex: number;
  returnIndex: number;
}

/**
 * The search problem for one sub-history. `ops` must be in call order, with call and return
 * times (event indices; return +Infinity when the operation never completed).
 */
export function prepare<T extends ModelOp & TimedOp>(model: Model, all: readonly T[]): Prepared<T> {
  const kept = all.filter((op) => !isIgnored(model, op));
  const ops = model.prune ? model.prune(kept) : kept;
  const n = ops.length;
  const call = new Float64Array(n);
  const ret = new Float64Array(n);
  const info = new Uint8Array(n);
  const twin = new Int32Array(n).fill(-1);
  const readOnly = new Uint8Array(n);
  fillArrays(model, ops, { n, call, ret, info, twin, readOnly });
  const kernel = model.compile ? model.compile(ops) : genericKernel(model, ops);
  return { problem: { n, call, ret, info, twin, readOnly, kernel }, ops };
}

/**
 * The per-operation arrays. A loop of its own: code after a long loop in a function called
 * once per key ran in on-stack-replaced code that V8 threw away on every call.
 */
function fillArrays(
  model: Model,
  ops: readonly (ModelOp & TimedOp)[],
  arrays: Omit<Problem, 'kernel'>,
): void {
  const { n, call, ret, info, twin, readOnly } = arrays;
  const lastSame = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const op = ops[i]!;
    call[i] = op.callIndex;
    if (model.readOnly?.(op)) readOnly[i] = 1;
    if (op.type === 'info') {
      info[i] = 1;
      ret[i] = Number.POSITIVE_INFINITY;
      const k = `${op.f}\u0000${valueKey(op.input)}`;
      const t = lastSame.get(k);
      if (t !== undefined) twin[i] = t;
      lastSame.set(k, i);
    } else {
      ret[i] = op.returnIndex;
    }
  }
}
