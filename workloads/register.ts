/**
 * The register workload: independent keys, each a compare-and-set register. Reads, writes and
 * cas in a configurable mix; every written value is unique per key (so a read names the write
 * it saw); a key retires after `opsPerKey` operations and a fresh key takes its place
 * (Jepsen's key rotation), which keeps each key's linearizability search small.
 * Judged by the linearizability checker (cas-register model, per key) and the stats checker.
 */

import { match } from 'ts-pattern';
import { z } from 'zod';
import { linearizableChecker } from '../src/checker/linearizable/index.js';
import { perfChecker } from '../src/checker/perf.js';
import { statsChecker } from '../src/checker/stats.js';
import type { Key, Value } from '../src/history/op.js';
import type { Generator, GeneratorContext, Workload } from '../src/runner/workload.js';

/** The register protocol: what a target's `clients.register` must do. */
export type RegisterOp =
  | { f: 'read'; key: Key; value: null }
  | { f: 'write'; key: Key; value: Value }
  /** Swap `from` for `to`; fails (definitely) when the current value is not `from`. */
  | { f: 'cas'; key: Key; value: [from: Value, to: Value] };

export type CasOp = Extract<RegisterOp, { f: 'cas' }>;

/**
 * A register client's operation dispatch: the key in the client's own form, then read, write
 * or cas, matched exhaustively (a protocol change is a type error in every client).
 */
export function registerDispatch<K, R>(
  keyOf: (key: Key) => K,
  h: { read(key: K): R; write(key: K, value: Value): R; cas(key: K, op: CasOp): R },
): (op: RegisterOp) => R {
  return (op) => {
    const key = keyOf(op.key);
    return match(op)
      .with({ f: 'read' }, () => h.read(key))
      .with({ f: 'write' }, (o) => h.write(key, o.value))
      .with({ f: 'cas' }, (o) => h.cas(key, o))
      .exhaustive();
  };
}

/** Parses "read,write,cas" weights, e.g. "2,1,1". */
export function parseMix(text: string): Mix {
  const parts = text.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p) || p < 0)) {
    throw new Error(`mix: expected three weights read,write,cas like 2,1,1 (got "${text}")`);
  }
  return { read: parts[0]!, write: parts[1]!, cas: parts[2]! };
}

type Mix = { read: number; write: number; cas: number };
const weight = z.number().finite().min(0);
const mixSchema = z
  .union([
    z.object({ read: weight, write: weight, cas: weight }).strict(),
    z.string().transform((text, ctx) => {
      try {
        return parseMix(text);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
        return z.NEVER;
      }
    }),
  ])
  .refine((m) => m.read + m.write + m.cas > 0, 'mix weights must not all be 0');

export const registerOptionsSchema = z
  .object({
    keys: z.number().int().min(1).optional().describe('keys in use at once (default: concurrency / 2)'),
    opsPerKey: z.number().int().min(1).default(200).describe('operations on a key before it retires'),
    mix: mixSchema
      .default({ read: 2, write: 1, cas: 1 })
      .describe('weights of read, write, cas as r,w,cas (default 2,1,1)'),
    checkTimeLimitMs: z
      .number()
      .int()
      .min(1)
      .default(60_000)
      .describe('wall-clock budget of the linearizability check, ms'),
  })
  .strict();

export type RegisterOptions = z.infer<typeof registerOptionsSchema>;

interface KeyState {
  key: number;
  ops: number;
  nextValue: number;
  /** Recently written values (what a cas may expect). */
  recent: number[];
}

export function registerGenerator(
  o: RegisterOptions,
  { concurrency, rng }: GeneratorContext,
): Generator<RegisterOp> {
  const keys = o.keys ?? Math.max(1, Math.floor(concurrency / 2));
  const weights = [o.mix.read, o.mix.write, o.mix.cas];
  let nextKey = 0;
  const fresh = (): KeyState => ({ key: nextKey++, ops: 0, nextValue: 1, recent: [] });
  const active: KeyState[] = Array.from({ length: keys }, fresh);
  return {
    next(): RegisterOp {
      const slot = rng.int(active.length);
      const k = active[slot]!;
      k.ops++;
      if (k.ops >= o.opsPerKey) active[slot] = fresh();
      const kind = rng.weighted(weights);
      if (kind === 0) return { f: 'read', key: k.key, value: null };
      const value = k.nextValue++;
      k.recent.push(value);
      if (k.recent.length > 3) k.recent.shift();
      if (kind === 1) return { f: 'write', key: k.key, value };
      // Expect a recent value (or the initial nil) so that some cas succeed.
      const expected: Value =
        k.recent.length > 1 && rng.next() < 0.9 ? rng.pick(k.recent.slice(0, -1)) : null;
      return { f: 'cas', key: k.key, value: [expected, value] };
    },
    final(): RegisterOp[] {
      // One read of every key still in use: after a heal, what a store lost shows here.
      return active.map((k) => ({ f: 'read', key: k.key, value: null }));
    },
  };
}

export const registerWorkload: Workload<RegisterOp, RegisterOptions> = {
  name: 'register',
  description: 'independent cas-registers with key rotation; checked for linearizability per key',
  protocol: 'register',
  options: registerOptionsSchema,
  generator: registerGenerator,
  checkers(o) {
    return [
      { checker: linearizableChecker, options: { model: 'cas-register', timeLimitMs: o.checkTimeLimitMs } },
      { checker: statsChecker, options: {} },
      { checker: perfChecker, options: {} },
    ];
  },
};
