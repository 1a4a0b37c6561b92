import { describe, expect, it } from 'vitest';
import { perfChecker, perfStats } from '../../src/checker/perf.js';
import { parseHistory } from '../../src/history/read.js';
import { renderLatencyPlot, renderThroughputPlot } from '../../src/report/plots.js';

const ms = 1_000_000;
const events: object[] = [];
// 100 reads of 1..100 ms each, one after another in process 0, then a write that fails and one never completed.
let t = 0;
for (let i = 1; i <= 100; i++) {
  events.push({ process: 0, type: 'invoke', f: 'read', time: t });
  t += i * ms;
  events.push({ process: 0, type: 'ok', f: 'read', time: t, value: 1 });
}
events.push({ process: 0, type: 'invoke', f: 'write', time: t, value: 2 });
events.push({ process: 0, type: 'fail', f: 'write', time: t + 7 * ms, value: 2 });
events.push({ process: 1, type: 'invoke', f: 'write', time: t + 8 * ms, value: 3 });
const history = parseHistory(
  events.map((e, index) => JSON.stringify({ index, value: null, ...e })).join('\n'),
  'perf.jsonl',
);

describe('perf checker', () => {
  it('gives nearest-rank latency quantiles per f and outcome, leaving out operations never completed', () => {
    const stats = perfStats(history);
    expect(stats.latencyMs.read!.ok).toEqual({ count: 100, p50: 50, p95: 95, p99: 99, max: 100 });
    expect(stats.latencyMs.write!.fail).toEqual({ count: 1, p50: 7, p95: 7, p99: 7, max: 7 });
    expect(stats.latencyMs.write!.info).toBeUndefined();
  });

  it('counts completions per second of the run', () => {
    const { throughput } = perfStats(history);
    // Completions at 1, 3, 6, ..., 5050 ms: reads 1..44 end within the first second (44·45/2 = 990 ms).
    expect(throughput[0]).toEqual({ second: 0, ok: 44, fail: 0, info: 0 });
    expect(throughput.reduce((n, b) => n + b.ok + b.fail + b.info, 0)).toBe(101);
    expect(throughput.length).toBe(6);
  });

  it('is always valid and summarises', async () => {
    const r = await perfChecker.check(history, {});
    expect(r.valid).toBe(true);
    expect(r.summary).toContain('read p50 50 ms, p99 99 ms');
  });

  it('draws one point per completed operation and a line per outcome', () => {
    expect(renderLatencyPlot(history).match(/<circle /g)).toHaveLength(101);
    expect(renderThroughputPlot(history).match(/<polyline /g)).toHaveLength(3);
  });
});
