/**
 * A worker's pause after an operation that found the database unavailable. Without it, a
 * worker whose node is down (refused connections fail at once) retries in a tight loop and
 * floods the history with thousands of identical failures.
 *
 * Exponential: 5 ms after the first such outcome, doubling up to 160 ms, with seeded "equal
 * jitter" (half fixed, half random) so workers do not retry in lockstep and a seed still gives
 * the same delays. Any answer from the database resets it: an `ok`, and also a `fail` that is a
 * definite refusal by a working node (a cas whose expected value differed), so a healthy run
 * never waits.
 */
import type { Completion } from '../clients/types.js';
import type { Rng } from './rng.js';

export const BACKOFF_MIN_MS = 5;
export const BACKOFF_MAX_MS = 160;

/** Outcomes that prove the node answered normally (no backoff after them). */
const ANSWERED_ERRORS = new Set(['cas-mismatch']);

export function answered(completion: Completion): boolean {
  return (
    completion.type === 'ok' ||
    (completion.type === 'fail' && completion.error !== undefined && ANSWERED_ERRORS.has(completion.error))
  );
}

export interface Backoff {
  /** Milliseconds to wait after this completion (0 when the node answered). */
  after(completion: Completion): number;
}

export function createBackoff(
  rng: Pick<Rng, 'next'>,
  minMs = BACKOFF_MIN_MS,
  maxMs = BACKOFF_MAX_MS,
): Backoff {
  let failures = 0;
  return {
    after(completion) {
      if (answered(completion)) {
        failures = 0;
        return 0;
      }
      const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(failures, 30));
      failures++;
      return ceiling / 2 + (ceiling / 2) * rng.next();
    },
  };
}
