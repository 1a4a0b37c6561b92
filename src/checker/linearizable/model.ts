/**
 * The model interface for the linearizability checker (like Porcupine's `Model`), and the
 * compiled form the search runs on: states interned to small integers, so the hot loop never
 * touches a JS object.
 */

import type { Value } from '../../history/op.js';
import { interner } from '../intern.js';

/** What a model sees of one operation. `type` 'info' means the output is unknown. */
export interface ModelOp {
  f: string;
  type: 'ok' | 'fail' | 'info';
  /** The invocation's argument. */
  input: Value;
  /** The completion's value (a read's result); meaningless when type is 'info'. */
  output: Value;
}

/**
 * A sequential specification. Pure: `step` never mutates `state`. Nondeterministic models return
 * several next states; an illegal step returns none.
 */
export interface Model<S = unknown> {
  readonly name: string;
  /** At most one next state per step: lets the search skip the alternatives machinery. */
  readonly deterministic?: boolean;
  /** The possible initial states (usually one). */
  init(): S[];
  step(state: S, op: ModelOp): S[];
  /** Memoization identity: equal keys exactly when the states are equal. */
  key(state: S): string | number;
  /**
   * True when the operation neither constrains nor changes the state under this model, so the
   * search can leave it out (failed operations, reads whose result is unknown). Defaults to
   * `op.type === 'fail'`.
   */
  ignore?(op: ModelOp): boolean;
  /**
   * True when the operation, wherever it is legal, leaves the state unchanged (a read). The
   * search then linearizes it as soon as it is legal, without trying alternatives: a sound
   * dominance, and the main reason register histories are cheap.
   */
  readOnly?(op: ModelOp): boolean;
  /**
   * Optionally drops, from one sub-history's kept operations, info operations that provably
   * cannot matter (e.g. a pending write of a value nobody ever observes). Must be sound: the
   * verdict with and without them is the same.
   */
  prune?<T extends ModelOp>(ops: readonly T[]): T[];
  /** A reason the model cannot interpret this operation, or undefined when it can. */
  validate?(op: ModelOp): string | undefined;
  describeOp(op: ModelOp): string;
  describeState(state: S): string;
  /** An optional fast path with exactly the semantics of `step` over these operations. */
  compile?(ops: readonly ModelOp[]): Kernel;
}

/**
 * A model compiled for one sub-history: states are integers (ids), operations are their index
 * in the array passed to `compile`.
 */
export interface Kernel {
  readonly deterministic: boolean;
  readonly initial: readonly number[];
  /** Deterministic kernels: the next state, or -1 when the step is illegal. */
  step1(state: number, op: number): number;
  /** Any kernel: the next states (an array the caller must not modify). */
  stepN(state: number, op: number): Int32Array;
  describeState(state: number): string;
  stateValue(state: number): unknown;
  /**
   * Optional pruning for models whose state only grows between resets (kv's append): `resets`
   * flags the operations that can set the state outright; `reachable(state, op)` says whether
   * op can become legal from state through non-resetting operations. When an operation that
   * must come next (before any reset) is unreachable, the configuration is dead.
   */
  readonly resets?: Uint8Array;
  reachable?(state: number, op: number): boolean;
  /**
   * For a register sub-history (states are the values) whose every operation, where it takes
   * effect, needs the state to be `requires[i]` (or anything, when -1) and then sets it to
   * `installs[i]` (or leaves it, when -1): a read requires, a write installs, a cas both (an
   * info cas that did not match had no effect). With it, histories whose installed values are
   * unique are decided in polynomial time.
   */
  readonly registerView?: { requires: Int32Array; installs: Int32Array };
}

const EMPTY = new Int32Array(0);

/** The generic compiled form of any model: interns states by key, memoizes transitions. */
export function genericKernel<S>(model: Model<S>, ops: readonly ModelOp[]): Kernel {
  const states: S[] = [];
  const internKey = interner<string | number, S>(states);
  const intern = (s: S): number => internKey(model.key(s), s);
  const n = ops.length;
  const cache = new Map<number, Int32Array>();
  const stepN = (state: number, op: number): Int32Array => {
    const k = state * n + op;
    let next = cache.get(k);
    if (next === undefined) {
      const out = model.step(states[state]!, ops[op]!);
      if (out.length === 0) next = EMPTY;
      else {
        const seen = new Set<number>();
        for (const s of out) seen.add(intern(s));
        next = Int32Array.from(seen);
      }
      cache.set(k, next);
    }
    return next;
  };
  const initial = [...new Set(model.init().map(intern))];
  return {
    deterministic: model.deterministic === true,
    initial,
    step1(state, op) {
      const next = stepN(state, op);
      return next.length === 0 ? -1 : next[0]!;
    },
    stepN,
    describeState: (state) => model.describeState(states[state]!),
    stateValue: (state) => states[state],
  };
}
