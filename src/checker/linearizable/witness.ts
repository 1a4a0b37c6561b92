/**
 * The minimal witness of a non-linearizable register key: a handful of its operations that alone
 * cannot be ordered, found by delta debugging (Zeller's ddmin) over the operations, in real-time
 * order, within a time budget. Every candidate is closed under requirements (register-view.ts),
 * so a non-linearizable candidate proves the whole key non-linearizable, and every verdict on a
 * candidate comes from the checker's own search. The result is 1-minimal when `minimal` says so:
 * dropping any one of its operations (and what then lacks a source) leaves operations that can
 * be ordered.
 */
import { memoBudget } from './memo.js';
import type { Model } from './model.js';
import { prepare } from './prepare.js';
import { closure, interior, type RegisterView } from './register-view.js';
import { search } from './search/index.js';

export interface ShrinkResult {
  /** Indices into the view's operations, in call order. */
  ops: number[];
  minimal: boolean;
  /** Candidate subsets checked. */
  tests: number;
}

/** Above this many operations a candidate is decided by the unique-writes algorithm when it applies. */
const SMALL = 2000;

class Shrinker {
  tests = 0;
  constructor(
    readonly view: RegisterView,
    readonly model: Model,
    readonly deadline: number,
  ) {}

  expired = () => performance.now() > this.deadline;

  /** True when these operations (already closed) cannot be linearized. */
  refuted(xs: Iterable<number>): boolean {
    const idx = [...xs].sort((a, b) => a - b);
    if (idx.length === 0) return false;
    this.tests++;
    const ops = idx.map((i) => this.view.ops[i]!);
    const { problem } = prepare(this.model, ops);
    const outcome = search(problem, {
      deadline: this.deadline,
      budget: memoBudget(256 * 2 ** 20),
      uniqueWrites: problem.n > SMALL,
    });
    return outcome.valid === false;
  }

  /** The candidate a seed stands for: its closure, when that is refuted. */
  test = (seed: readonly number[]): Set<number> | undefined => {
    const c = closure(this.view, seed);
    return this.refuted(c) ? c : undefined;
  };
}

/** The shortest suffix of `seed` whose closure is still refuted (binary search; a heuristic cut). */
function cutWindow(s: Shrinker, seed: number[]): number[] {
  let lo = 0;
  let hi = seed.length - 1;
  while (lo < hi && !s.expired()) {
    const mid = (lo + hi + 1) >> 1;
    if (s.test(seed.slice(mid))) lo = mid;
    else hi = mid - 1;
  }
  return seed.slice(lo);
}

/** Zeller's ddmin over seeds; each test is the closure's refutation. */
function ddmin(s: Shrinker, xs: number[]): number[] {
  let n = 2;
  while (xs.length >= 2 && !s.expired()) {
    const size = Math.ceil(xs.length / n);
    const chunks: number[][] = [];
    for (let k = 0; k < xs.length; k += size) chunks.push(xs.slice(k, k + size));
    let next: number[] | undefined;
    for (const c of chunks) if (!next && s.test(c)) next = c;
    if (next) {
      xs = next;
      n = 2;
      continue;
    }
    for (let k = 0; k < chunks.length && !next && chunks.length > 2; k++) {
      const rest = chunks.filter((_, j) => j !== k).flat();
      if (s.test(rest)) next = rest;
    }
    if (next) {
      xs = next;
      n = Math.max(n - 1, 2);
      continue;
    }
    if (n >= xs.length) break;
    n = Math.min(xs.length, 2 * n);
  }
  return xs;
}

/** Drops single operations (with what then lacks a source) while the rest stays refuted. */
function oneMinimal(s: Shrinker, w: Set<number>): { set: Set<number>; minimal: boolean } {
  for (let again = true; again; ) {
    again = false;
    for (const o of [...w].sort((a, b) => b - a)) {
      if (s.expired()) return { set: w, minimal: false };
      const rest = new Set(w);
      rest.delete(o);
      const inner = interior(s.view, rest);
      if (s.refuted(inner)) {
        w = inner;
        again = true;
        break;
      }
    }
  }
  return { set: w, minimal: true };
}

/**
 * Shrinks a refuted key to a minimal witness. `stuckCall` (the call event of the operation the
 * search could not linearize) bounds the first candidate: operations invoked after it returned
 * are tried without first. Undefined when no closed subset is refuted within the budget.
 */
export function shrinkWitness(
  view: RegisterView,
  model: Model,
  stuckCall: number | undefined,
  budgetMs: number,
): ShrinkResult | undefined {
  const s = new Shrinker(view, model, performance.now() + budgetMs);
  const all = Array.from({ length: view.n }, (_, i) => i);
  const stuck = stuckCall === undefined ? -1 : all.find((i) => view.ops[i]!.callIndex === stuckCall);
  const end = stuck === undefined || stuck < 0 ? Number.POSITIVE_INFINITY : view.ops[stuck]!.returnIndex;
  let seed = all.filter((i) => view.call[i]! <= end);
  if (!s.test(seed)) {
    seed = all;
    if (seed.length === 0 || !s.test(seed)) return undefined;
  }
  seed = ddmin(s, cutWindow(s, seed));
  const start = closure(view, seed);
  if (s.expired()) return { ops: [...start].sort((a, b) => a - b), minimal: false, tests: s.tests };
  const { set, minimal } = oneMinimal(s, start);
  return { ops: [...set].sort((a, b) => a - b), minimal, tests: s.tests };
}
