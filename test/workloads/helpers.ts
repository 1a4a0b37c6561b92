/** Helpers of the workload truth tests: what the nemesis did, and one checker's result, logged. */
import { readFileSync } from 'node:fs';
import type { RunResult } from '../../src/runner/run.js';

/** The nemesis operations of a run's history, counted by name (partition, heal, kill, ...). */
export function faultsIn(r: RunResult): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of readFileSync(r.historyPath, 'utf8').split('\n')) {
    if (!line.includes('"process":"nemesis"')) continue;
    const f = (JSON.parse(line) as { f: string }).f;
    counts[f] = (counts[f] ?? 0) + 1;
  }
  return counts;
}

/** A checker's result, logged with the run's counts and faults (the figures the report cites). */
export function resultOf<T>(r: RunResult, checker: string, what: string): T {
  const c = r.results?.[checker] as unknown as T & { summary: string; sessionGuarantees?: unknown };
  const figures = {
    counts: r.counts,
    faults: faultsIn(r),
    summary: c.summary,
    ...(c.sessionGuarantees ? { guarantees: c.sessionGuarantees } : {}),
  };
  console.log(`[workloads] ${what}: ${JSON.stringify(figures)}`);
  return c;
}
