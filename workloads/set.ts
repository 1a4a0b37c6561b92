/**
 * The set workload (Jepsen's set-full): unique elements are added to a few sets, and each set
 * is read whole. A set retires after `addsPerKey` adds and a fresh one takes its place (which
 * keeps reads small); the final reads read every set the run used, after the heal, so every
 * acknowledged element is judged. Judged by the set checker (lost, stale, never-read and
 * unexpected elements), the stats and perf checkers.
 */

import { match } from 'ts-pattern';
import { z } from 'zod';
import { perfChecker } from '../src/checker/perf.js';
import { setChecker } from '../src/checker/set.js';
import { statsChecker } from '../src/checker/stats.js';
import type { Key } from '../src/history/op.js';
import type { Generator, GeneratorContext, Workload } from '../src/runner/workload.js';

/**
 * The set protocol: what a target's `clients.set` must do. `add` adds a unique element (an
 * integer, unique per set); a read's ok value is the set's elements as an array.
 */
export type SetOp = { f: 'add'; key: Key; value: number } | { f: 'read'; key: Key; value: null };

/** A set client's dispatch: the key in the client's own form, then add or read, exhaustively. */
export function setDispatch<K, R>(
  keyOf: (key: Key) => K,
  h: { add(key: K, element: number): R; read(key: K): R },
): (op: SetOp) => R {
  return (op) => {
    const key = keyOf(op.key);
    return match(op)
      .with({ f: 'add' }, (o) => h.add(key, o.value))
      .with({ f: 'read' }, () => h.read(key))
      .exhaustive();
  };
}

export const setOptionsSchema = z
  .object({
    keys: z.number().int().min(1).default(2).describe('sets in use at once'),
    addsPerKey: z.number().int().min(1).default(1000).describe('adds to a set before it retires'),
    readFraction: z.number().min(0).max(1).default(0.2).describe('share of operations that read a set'),
    linearizable: z
      .boolean()
      .default(false)
      .describe('count stale elements (shown late) as errors, as a linearizable set must'),
  })
  .strict();

export type SetWorkloadOptions = z.infer<typeof setOptionsSchema>;

export function setGenerator(o: SetWorkloadOptions, { rng }: GeneratorContext): Generator<SetOp> {
  let nextKey = 0;
  const fresh = () => ({ key: nextKey++, adds: 0 });
  const active = Array.from({ length: o.keys }, fresh);
  return {
    next(): SetOp {
      const slot = rng.int(active.length);
      const k = active[slot]!;
      if (rng.next() < o.readFraction) return { f: 'read', key: k.key, value: null };
      const element = k.adds++;
      if (k.adds >= o.addsPerKey) active[slot] = fresh();
      return { f: 'add', key: k.key, value: element };
    },
    final(): SetOp[] {
      // Every set the run touched, retired ones too: what a store lost shows here.
      return Array.from({ length: nextKey }, (_, key) => ({ f: 'read', key, value: null }));
    },
  };
}

export const setWorkload: Workload<SetOp, SetWorkloadOptions> = {
  name: 'set',
  description: 'unique adds to a few sets, whole-set reads; lost and stale elements (set checker)',
  protocol: 'set',
  options: setOptionsSchema,
  generator: setGenerator,
  checkers(o) {
    return [
      { checker: setChecker, options: { linearizable: o.linearizable } },
      { checker: statsChecker, options: {} },
      { checker: perfChecker, options: {} },
    ];
  },
};
