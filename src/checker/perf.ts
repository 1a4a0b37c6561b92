/**
 * Performance of a run, read from its history: latency quantiles per operation kind and
 * outcome, and throughput per second. Always valid (like Jepsen's perf checker): it informs the
 * report, it does not judge the database.
 */

import type { History } from '../history/op.js';
import { pairOperations } from '../history/operations.js';
import type { Checker } from './types.js';

export interface Quantiles {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface ThroughputBucket {
  /** Second of the run (from the first invocation). */
  second: number;
  ok: number;
  fail: number;
  info: number;
}

export interface PerfStats {
  /** Milliseconds from invocation to completion, by `f` then by outcome (operations that never completed are left out). */
  latencyMs: Record<string, Record<string, Quantiles>>;
  /** Completions per second of the run, by outcome. */
  throughput: ThroughputBucket[];
}

/** Nearest-rank quantiles of an ascending array. */
function quantiles(sorted: Float64Array): Quantiles {
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  return {
    count: sorted.length,
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    p99: round(at(0.99)),
    max: round(sorted[sorted.length - 1]!),
  };
}

export function perfStats(history: History): PerfStats {
  const samples = new Map<string, number[]>();
  const buckets: ThroughputBucket[] = [];
  const ops = pairOperations(history);
  const t0 = ops[0]?.invoke.time ?? 0;
  for (const op of ops) {
    if (!op.completion) continue;
    const group = `${op.f}\u0000${op.type}`;
    const list = samples.get(group) ?? [];
    if (list.length === 0) samples.set(group, list);
    list.push((op.completion.time - op.invoke.time) / 1e6);
    const second = Math.max(0, Math.floor((op.completion.time - t0) / 1e9));
    for (let s = buckets.length; s <= second; s++) buckets.push({ second: s, ok: 0, fail: 0, info: 0 });
    buckets[second]![op.type]++;
  }
  const latencyMs: PerfStats['latencyMs'] = {};
  for (const [group, list] of samples) {
    const [f, type] = group.split('\u0000') as [string, string];
    latencyMs[f] ??= {};
    latencyMs[f][type] = quantiles(Float64Array.from(list).sort());
  }
  return { latencyMs, throughput: buckets };
}

export const perfChecker: Checker = {
  name: 'perf',
  async check(history) {
    const stats = perfStats(history);
    const ok = Object.entries(stats.latencyMs)
      .filter(([, byType]) => byType.ok)
      .map(([f, byType]) => `${f} p50 ${byType.ok!.p50} ms, p99 ${byType.ok!.p99} ms`);
    const seconds = stats.throughput.length;
    const total = stats.throughput.reduce((n, b) => n + b.ok + b.fail + b.info, 0);
    const summary = `${seconds > 0 ? (total / seconds).toFixed(0) : 0} completions/s over ${seconds} s; ${
      ok.length ? ok.join('; ') : 'no ok operations'
    }`;
    return { checker: 'perf', valid: true, summary, ...stats };
  },
};
