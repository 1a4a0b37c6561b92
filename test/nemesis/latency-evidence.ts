/**
 * Whether a latency fault showed in the recorded operations: the latencies of the affected
 * node's clients while the fault was on, against theirs while no latency fault was on.
 */
import type { NemesisInterval } from '../../src/nemesis/types.js';
import type { Completed } from './evidence.js';

export interface LatencySample {
  count: number;
  medianMs: number;
  meanMs: number;
}

function sample(ms: number[]): LatencySample {
  ms.sort((a, b) => a - b);
  const mean = ms.reduce((a, b) => a + b, 0) / Math.max(1, ms.length);
  return {
    count: ms.length,
    medianMs: Math.round((ms[Math.floor(ms.length / 2)] ?? Number.NaN) * 10) / 10,
    meanMs: Math.round(mean * 10) / 10,
  };
}

/**
 * ok operations: `inside`, the affected node's, wholly within a latency interval on it;
 * `others`, the other nodes', wholly within the same intervals (the same moments of a loaded
 * machine, without the delay: the fairest baseline); `outside`, the affected nodes' that
 * overlapped no interval and began after the first one had started (the run's first seconds
 * are slow on their own: connections, JIT). Gaps between faults are short, so `outside` is
 * small and holds the heals' transitions (data queued behind a delay still waits it out).
 */
export function latencyAround(ops: readonly Completed[], intervals: readonly NemesisInterval[]) {
  const latency = intervals.filter((i) => i.kind === 'latency');
  const since = Math.min(...latency.map((i) => i.start));
  const affected = new Set(latency.flatMap((i) => i.nodes));
  const inside: number[] = [];
  const outside: number[] = [];
  const others: number[] = [];
  for (const op of ops) {
    if (op.type !== 'ok' || op.node === undefined) continue;
    const ms = (op.complete - op.invoke) / 1e6;
    const within = latency.filter(
      (i) => op.invoke >= i.start && op.complete <= (i.end ?? Number.POSITIVE_INFINITY),
    );
    const overlaps = latency.some(
      (i) => op.complete >= i.start && op.invoke <= (i.end ?? Number.POSITIVE_INFINITY),
    );
    if (within.some((i) => i.nodes.includes(op.node!))) inside.push(ms);
    else if (!overlaps && affected.has(op.node) && op.invoke >= since) outside.push(ms);
    else if (within.length > 0) others.push(ms);
  }
  return { inside: sample(inside), outside: sample(outside), others: sample(others) };
}
