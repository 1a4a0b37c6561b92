/**
 * The search of one sub-history: the WGL search (wgl.ts), first with fingerprints for long
 * sub-histories and then exactly, so that no verdict rests on a hash.
 */
import type { Problem, Search, SearchLimits, SearchOutcome } from './types.js';
import { verify } from './verify.js';
import { createSearchMode } from './wgl.js';

export type { PartialLinearization, Problem, Search, SearchLimits, SearchOutcome } from './types.js';
export { verify } from './verify.js';

/** Runs a search to the end. */
export function search(p: Problem, limits: SearchLimits): SearchOutcome {
  const s = createSearch(p, limits);
  for (;;) {
    const o = s.run(Number.POSITIVE_INFINITY);
    if (o) return o;
  }
}

/** Above this many operations a sub-history is first searched with fingerprints only. */
export const FINGERPRINT_ABOVE = 4096;

/**
 * A search of one sub-history. Long ones start with a fingerprint memo (16 bytes a
 * configuration instead of n/8); a linearization found that way is verified and is a proof,
 * while a refutation is re-checked with the exact memo, so no verdict rests on a hash.
 */
export function createSearch(p: Problem, limits: SearchLimits): Search {
  let exact = p.n <= (limits.fingerprintAbove ?? FINGERPRINT_ABOVE);
  let inner = createSearchMode(p, limits, exact);
  return {
    run(steps) {
      const o = inner.run(steps);
      if (o === undefined || exact) return o;
      if (o.valid === true && o.linearization && verify(p, o.linearization)) return o;
      if (o.valid === 'unknown') return o;
      inner.dispose();
      exact = true;
      inner = createSearchMode(p, limits, true);
      return undefined;
    },
    dispose: () => inner.dispose(),
  };
}
