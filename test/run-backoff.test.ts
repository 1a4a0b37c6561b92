/**
 * The workers' backoff after an operation that found the database unavailable: none while the
 * database answers (ok, or a cas refused by a working node), exponential with seeded jitter
 * up to a cap otherwise, reset by the next answer.
 */
import { describe, expect, it } from 'vitest';
import type { Completion } from '../src/clients/types.js';
import { BACKOFF_MAX_MS, BACKOFF_MIN_MS, createBackoff } from '../src/runner/backoff.js';
import { createRng } from '../src/runner/rng.js';

const ok: Completion = { type: 'ok', value: 1 };
const mismatch: Completion = { type: 'fail', value: [1, 2], error: 'cas-mismatch' };
const refused: Completion = { type: 'fail', value: null, error: 'connect ECONNREFUSED 10.213.4.11:6379' };
const timeout: Completion = { type: 'info', value: null, error: 'timeout' };

describe('worker backoff', () => {
  it('never waits while the database answers', () => {
    const b = createBackoff(createRng(1));
    for (const c of [ok, mismatch, ok, mismatch]) expect(b.after(c)).toBe(0);
  });

  it('grows from a few ms to the cap with jitter within [half, full], and resets on an answer', () => {
    const b = createBackoff(createRng(1));
    const delays = Array.from({ length: 10 }, (_, i) => b.after(i % 2 ? refused : timeout));
    delays.forEach((d, i) => {
      const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** i);
      expect(d).toBeGreaterThanOrEqual(ceiling / 2);
      expect(d).toBeLessThanOrEqual(ceiling);
    });
    expect(Math.max(...delays)).toBeLessThanOrEqual(BACKOFF_MAX_MS);
    expect(b.after(ok)).toBe(0);
    expect(b.after(refused)).toBeLessThanOrEqual(BACKOFF_MIN_MS);
  });

  it('the same seed gives the same delays', () => {
    const seq = (seed: number) => {
      const b = createBackoff(createRng(seed));
      return [refused, refused, ok, timeout, refused, refused].map((c) => b.after(c));
    };
    expect(seq(9)).toEqual(seq(9));
    expect(seq(9)).not.toEqual(seq(10));
  });
});
