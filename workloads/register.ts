/**
 * The register workload: independent keys, each a compare-and-set register. Reads, writes and
 * cas in a configurable mix; every written value is unique per key (so a read names the write
 * it saw); a key retires after `opsPerKey` operations and a fresh key takes its place
 * (Jepsen's key rotation), which keeps each key's linearizability search small.
 * Judged by the linearizability checker (cas-register model, per key) and the stats checker.
 */

import { linearizableChecker } from '../src/checker/linearizable/index.js';
import { perfChecker } from '../src/checker/perf.js';
import { statsChecker } from '../src/checker/stats.js';
import type { ClientOp } from '../src/clients/types.js';
import type { Value } from '../src/history/op.js';
import type { Rng } from '../src/runner/rng.js';
import type { Generator, Workload, WorkloadOptions } from '../src/runner/workload.js';

export interface RegisterOptions {
  /** Keys in use at once (default: concurrency / 2, at least 1). */
  keys: number;
  /** Operations per key before it retires (default 200). */
  opsPerKey: number;
  /** Relative weights of read, write, cas (default 2:1:1). */
  mix: { read: number; write: number; cas: number };
  /** Wall-clock budget of the linearizability check, ms (default 60 s). */
  checkTimeLimitMs: number;
}

export function registerOptions(options: WorkloadOptions): RegisterOptions {
  const int = (name: string, dflt: number, min: number) => {
    const v = options[name];
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min)
      throw new Error(`register workload: ${name} must be an integer ≥ ${min}`);
    return n;
  };
  const mix = (options.mix as RegisterOptions['mix'] | undefined) ?? { read: 2, write: 1, cas: 1 };
  const weights = [mix.read, mix.write, mix.cas];
  if (weights.some((w) => !Number.isFinite(w) || w < 0) || weights.every((w) => w === 0)) {
    throw new Error('register workload: mix weights must be ≥ 0 and not all 0');
  }
  return {
    keys: int('keys', Math.max(1, Math.floor(options.concurrency / 2)), 1),
    opsPerKey: int('opsPerKey', 200, 1),
    mix,
    checkTimeLimitMs: int('checkTimeLimitMs', 60_000, 1),
  };
}

/** Parses "read,write,cas" weights, e.g. "2,1,1". */
export function parseMix(text: string): RegisterOptions['mix'] {
  const parts = text.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p) || p < 0)) {
    throw new Error(`--mix: expected three weights read,write,cas like 2,1,1 (got "${text}")`);
  }
  return { read: parts[0]!, write: parts[1]!, cas: parts[2]! };
}

interface KeyState {
  key: number;
  ops: number;
  nextValue: number;
  /** Recently written values (what a cas may expect). */
  recent: number[];
}

export function registerGenerator(options: WorkloadOptions, rng: Rng): Generator {
  const o = registerOptions(options);
  const weights = [o.mix.read, o.mix.write, o.mix.cas];
  let nextKey = 0;
  const fresh = (): KeyState => ({ key: nextKey++, ops: 0, nextValue: 1, recent: [] });
  const active: KeyState[] = Array.from({ length: o.keys }, fresh);
  return {
    next(): ClientOp {
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
    final(): ClientOp[] {
      // One read of every key still in use: after a heal, what a store lost shows here.
      return active.map((k) => ({ f: 'read', key: k.key, value: null }));
    },
  };
}

export const registerWorkload: Workload = {
  name: 'register',
  description: 'independent cas-registers with key rotation; checked for linearizability per key',
  generator: registerGenerator,
  checkers(options) {
    const o = registerOptions(options);
    return [
      { checker: linearizableChecker, options: { model: 'cas-register', timeLimitMs: o.checkTimeLimitMs } },
      { checker: statsChecker, options: {} },
      { checker: perfChecker, options: {} },
    ];
  },
};
