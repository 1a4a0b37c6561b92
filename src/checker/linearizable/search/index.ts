/**
 * The search of one sub-history: the polynomial algorithm for registers with unique writes
 * when its preconditions hold (unique-writes.ts), else the WGL search (wgl.ts), first with
 * fingerprints for long sub-histories and then exactly, so that no verdict rests on a hash.
 */
import type { Problem, Search, SearchLimits, SearchOutcome } from './types.js';
import { checkUniqueWrites } from './unique-writes.js';
import { verify } from './verify.js';
import { createSearchMode } from './wgl.js';

export type {
  Algorithm,
  PartialLinearization,
  Problem,
  Search,
  SearchLimits,
  SearchOutcome,
} from './types.js';
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
  const decided = limits.uniqueWrites === false ? undefined : checkUniqueWrites(p);
  if (decided) {
    if (decided.valid === false && p.n <= EVIDENCE_SEARCH_MAX) withSearchEvidence(p, limits, decided);
    return { run: () => decided, dispose: () => {} };
  }
  let exact = p.n <= (limits.fingerprintAbove ?? FINGERPRINT_ABOVE);
  let inner = createSearchMode(p, limits, exact);
  return {
    run(steps) {
      const o = inner.run(steps);
      if (o !== undefined) o.algorithm = 'wgl';
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

/** Sub-histories up to this size refuted by the unique-writes algorithm get WGL evidence. */
const EVIDENCE_SEARCH_MAX = 2000;
const EVIDENCE_SEARCH_STEPS = 200_000;

/**
 * The unique-writes algorithm's evidence is coarse (whole blocks); for a small refuted
 * sub-history a bounded WGL search gives the usual evidence (deepest partial linearizations,
 * the stuck operation and its concurrent ones). The verdict stays the unique-writes one; the
 * search's evidence is used only when it finishes and agrees.
 */
function withSearchEvidence(p: Problem, limits: SearchLimits, o: SearchOutcome): void {
  const s = createSearchMode(p, limits, true);
  try {
    const w = s.run(EVIDENCE_SEARCH_STEPS);
    if (w?.valid !== false) return;
    o.longest = w.longest;
    if (w.stuck !== undefined) {
      o.stuck = w.stuck;
      o.concurrent = w.concurrent ?? [];
    }
  } finally {
    s.dispose();
  }
}
