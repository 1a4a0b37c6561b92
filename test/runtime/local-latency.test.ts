/**
 * `--nemesis latency` on the local runtime, as a whole run: the recorded latencies of the
 * affected node's clients rise by about the delay while the fault is on (the proxy delays what
 * that node sends), and fall back outside. The Docker runtime's counterpart is in
 * test/nemesis/runs.docker.test.ts.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readHistoryFile } from '../../src/history/read.js';
import { runNemesisFor } from '../../src/nemesis/plan.js';
import { nemesisIntervals } from '../../src/nemesis/record.js';
import { createLocalRuntime } from '../../src/runtime/local/index.js';
import { namedRun } from '../named-run.js';
import { completedOps } from '../nemesis/evidence.js';
import { latencyAround } from '../nemesis/latency-evidence.js';
import { expectNothingLeft, portsOf } from './local-helpers.js';

const reports = mkdtempSync(join(tmpdir(), 'faultline-local-latency-'));

describe('latency on the local runtime', () => {
  it("kvstore, latency 100±50 ms on one node: its clients' recorded latencies rise by about 100 ms inside the fault intervals", async () => {
    const r = await namedRun({
      target: 'kvstore',
      targetOptions: { readQuorum: 1, writeQuorum: 1 },
      workload: 'register',
      concurrency: 10,
      rate: 100,
      timeLimitS: 16,
      seed: 1,
      opTimeoutMs: 1000,
      reportsDir: reports,
      runtime: createLocalRuntime(),
      nemesis: runNemesisFor(
        {
          families: ['latency'],
          intervalS: 4,
          recoveryS: 0,
          choices: { latency: { targets: ['one'], delayMs: 100 } },
        },
        { timeLimitS: 16 },
      ),
    });
    const meta = JSON.parse(readFileSync(join(r.dir, 'run.json'), 'utf8'));
    expect(await expectNothingLeft(r.dir, portsOf(meta.cluster ?? {}))).toEqual([]);
    const history = await readHistoryFile(r.historyPath, { format: 'jsonl' });
    const intervals = nemesisIntervals(history.ops);
    expect(intervals.length).toBeGreaterThan(0);
    for (const i of intervals) {
      expect(i.kind).toBe('latency');
      expect(i.errors).toBeUndefined();
    }
    const around = latencyAround(completedOps(history.ops), intervals);
    console.log(
      `[local latency] ${JSON.stringify({
        faults: intervals.map((i) => `${i.detail}:${i.nodes.join(',')}`),
        ...around,
        load: loadavg().map((l) => l.toFixed(1)),
      })}`,
    );
    expect(around.inside.count).toBeGreaterThan(20);
    expect(around.others.count).toBeGreaterThan(20);
    // About the delay (100 ms, jitter ±50 averaging out; R = W = 1, so an operation waits for
    // one answer of the slowed node), with room for a loaded machine. The baseline is the other
    // nodes' operations at the same moments: the gaps between faults are short and hold the
    // heals, and on a loaded machine a second of everything slow lands there as often as not.
    const rise = around.inside.medianMs - around.others.medianMs;
    expect(rise).toBeGreaterThan(60);
    expect(rise).toBeLessThan(200);
  }, 90_000);
});
