/**
 * The counter workload (Jepsen's counter): increments by random deltas (and, as an option,
 * decrements) and reads of a few counters; a final read of each after the heal. Judged by the
 * counter checker: every read must lie between the increments acknowledged before it began and
 * those attempted before it ended (lost or double-applied increments otherwise).
 */

import { match } from 'ts-pattern';
import { z } from 'zod';
import { counterChecker } from '../src/checker/counter.js';
import { perfChecker } from '../src/checker/perf.js';
import { statsChecker } from '../src/checker/stats.js';
import type { Key } from '../src/history/op.js';
import type { Generator, GeneratorContext, Workload } from '../src/runner/workload.js';

/**
 * The counter protocol: what a target's `clients.counter` must do. `incr` adds `value` (a
 * nonzero integer) and its ok completion carries the delta; a read's ok value is a number.
 */
export type CounterOp = { f: 'incr'; key: Key; value: number } | { f: 'read'; key: Key; value: null };

/** A counter client's dispatch: the key in the client's own form, then incr or read, exhaustively. */
export function counterDispatch<K, R>(
  keyOf: (key: Key) => K,
  h: { incr(key: K, delta: number): R; read(key: K): R },
): (op: CounterOp) => R {
  return (op) => {
    const key = keyOf(op.key);
    return match(op)
      .with({ f: 'incr' }, (o) => h.incr(key, o.value))
      .with({ f: 'read' }, () => h.read(key))
      .exhaustive();
  };
}

export const counterOptionsSchema = z
  .object({
    keys: z.number().int().min(1).default(1).describe('counters'),
    maxDelta: z.number().int().min(1).default(5).describe('largest increment'),
    decrements: z.boolean().default(false).describe('also add negative deltas'),
    readFraction: z.number().min(0).max(1).default(0.5).describe('share of operations that read'),
  })
  .strict();

export type CounterWorkloadOptions = z.infer<typeof counterOptionsSchema>;

export function counterGenerator(o: CounterWorkloadOptions, { rng }: GeneratorContext): Generator<CounterOp> {
  return {
    next(): CounterOp {
      const key = rng.int(o.keys);
      if (rng.next() < o.readFraction) return { f: 'read', key, value: null };
      const size = 1 + rng.int(o.maxDelta);
      const sign = o.decrements && rng.next() < 0.5 ? -1 : 1;
      return { f: 'incr', key, value: sign * size };
    },
    final(): CounterOp[] {
      return Array.from({ length: o.keys }, (_, key) => ({ f: 'read', key, value: null }));
    },
  };
}

export const counterWorkload: Workload<CounterOp, CounterWorkloadOptions> = {
  name: 'counter',
  description: 'increments by random deltas and reads; reads outside the possible bounds (counter checker)',
  protocol: 'counter',
  options: counterOptionsSchema,
  generator: counterGenerator,
  checkers() {
    return [
      { checker: counterChecker, options: {} },
      { checker: statsChecker, options: {} },
      { checker: perfChecker, options: {} },
    ];
  },
};
