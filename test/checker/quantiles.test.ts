/** Nearest-rank quantiles by selection agree with a sort (the set checker's latency figures). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quantiles } from '../../src/checker/sweep.js';

function bySort(xs: number[]) {
  const sorted = [...xs].sort((a, b) => a - b);
  const n = sorted.length;
  const at = (q: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return { count: n, p50: round(at(0.5)), p95: round(at(0.95)), max: round(sorted[n - 1]!) };
}

describe('quantiles', () => {
  it('equal a sort-based nearest rank, duplicates and all', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.integer({ min: 0, max: 5 }), // -0 and 0 compare equal, so selection and sort may pick either; toEqual tells them apart.
            fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((x) => x + 0),
          ),
          {
            minLength: 1,
            maxLength: 300,
          },
        ),
        (xs) => {
          const a = new Float64Array(xs.length + 3).fill(-7);
          a.set(xs);
          expect(quantiles(a, xs.length)).toEqual(bySort(xs));
        },
      ),
      { numRuns: 500 },
    );
    expect(quantiles(new Float64Array(4), 0)).toBeNull();
  });
});
