/** An independent check of a linearization, so that no "valid" rests on the search alone. */
import type { PartialLinearization, Problem } from './types.js';

/** Checks a linearization independently: every ok op once, real-time order, legal steps. */
export function verify(p: Problem, lin: PartialLinearization): boolean {
  const { n, call, ret, info, kernel } = p;
  const seen = new Uint8Array(n);
  let maxCall = Number.NEGATIVE_INFINITY;
  let state = -1;
  // Deterministic kernels: step1, which allocates nothing.
  const deterministic = kernel.deterministic;
  for (let i = 0; i < lin.ops.length; i++) {
    const x = lin.ops[i]!;
    if (x < 0 || x >= n || seen[x] === 1) return false;
    seen[x] = 1;
    // No operation placed earlier may have been called after this one returned.
    if (ret[x]! < maxCall) return false;
    if (call[x]! > maxCall) maxCall = call[x]!;
    const next = lin.states[i]!;
    if (i === 0) {
      if (!kernel.initial.some((s0) => kernel.stepN(s0, x).includes(next))) return false;
    } else if (deterministic ? kernel.step1(state, x) !== next : !kernel.stepN(state, x).includes(next))
      return false;
    state = next;
  }
  for (let x = 0; x < n; x++) if (info[x] === 0 && seen[x] === 0) return false;
  return true;
}
