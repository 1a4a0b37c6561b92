/**
 * The set, counter and causal workloads on the kvstore, local runtime (no Docker), short runs
 * under partitions, each truth with a valid control:
 *   - causal: R=1 (without write-back, so a read is one replica's answer) with sessions roaming
 *     between nodes breaks read-your-writes or monotonic reads, named in the witnesses; sticky
 *     sessions on the correct mode (majority quorums) are causal (CC, CCv, CM);
 *   - counter: read-then-write increments (cas racy) lose increments; the correct mode is valid;
 *   - set: the correct mode loses no acknowledged add under partitions and kills.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CausalResult } from '../../src/checker/causal/index.js';
import type { CounterResult } from '../../src/checker/counter.js';
import type { SetResult } from '../../src/checker/set.js';
import { runNemesisFor } from '../../src/nemesis/plan.js';
import type { NemesisFamily } from '../../src/nemesis/types.js';
import type { RunResult } from '../../src/runner/run.js';
import { createLocalRuntime } from '../../src/runtime/local/index.js';
import { type NamedRunOptions, namedRun } from '../named-run.js';
import { faultsIn, resultOf } from './helpers.js';

const reports = mkdtempSync(join(tmpdir(), 'faultline-workloads-'));
const TIME_S = 8;

const nemesis = (families: NemesisFamily[], choices = {}) =>
  runNemesisFor({ families, intervalS: 1.5, recoveryS: 1, choices }, { timeLimitS: TIME_S });
const partitions = () => nemesis(['partition'], { partition: { kinds: ['one', 'halves'] } });

function localRun(o: Partial<NamedRunOptions> & { workload: string }): Promise<RunResult> {
  return namedRun({
    target: 'kvstore',
    concurrency: 10,
    timeLimitS: TIME_S,
    seed: 11,
    opTimeoutMs: 1000,
    reportsDir: reports,
    runtime: createLocalRuntime(),
    ...o,
  });
}

describe('kvstore workloads on the local runtime', () => {
  it('causal: R=1 roaming sessions break read-your-writes or monotonic reads; sticky sessions on majority quorums are causal', async () => {
    const weak = await localRun({
      workload: 'causal',
      targetOptions: { mode: 'correct', readQuorum: 1, writeBack: false },
      workloadOptions: { sessions: 'roaming' },
      nemesis: partitions(),
    });
    const w = resultOf<CausalResult>(weak, 'causal', 'kvstore causal R=1 roaming');
    expect(faultsIn(weak).partition).toBeGreaterThan(0);
    expect(w.models.CC).toBe(false);
    const named = w.sessionGuarantees['read-your-writes'] + w.sessionGuarantees['monotonic-reads'];
    expect(named).toBeGreaterThan(0);
    expect(w.anomalies.some((a) => a.explanation.includes('Session guarantees broken'))).toBe(true);

    const control = await localRun({
      workload: 'causal',
      targetOptions: { mode: 'correct' },
      workloadOptions: { sessions: 'sticky', model: 'CM' },
      nemesis: partitions(),
    });
    const c = resultOf<CausalResult>(control, 'causal', 'kvstore causal sticky majority');
    expect(control.counts.ok).toBeGreaterThan(200);
    expect(faultsIn(control).partition).toBeGreaterThan(0);
    expect(c.models).toEqual({ CC: true, CCv: true, CM: true });
    expect(control.valid).toBe(true);
  }, 120_000);

  it('counter: racy read-then-write increments lose updates; atomic ones (correct mode) do not', async () => {
    const racy = await localRun({ workload: 'counter', targetOptions: { mode: 'correct', cas: 'racy' } });
    const r = resultOf<CounterResult>(racy, 'counter', 'kvstore counter racy');
    expect(r.errors.some((e) => e.problem === 'below')).toBe(true);
    expect(racy.valid).toBe(false);
    const atomic = await localRun({
      workload: 'counter',
      targetOptions: { mode: 'correct' },
      nemesis: partitions(),
    });
    const a = resultOf<CounterResult>(atomic, 'counter', 'kvstore counter correct, partitions');
    expect(a.increments.ok).toBeGreaterThan(50);
    expect(atomic.valid).toBe(true);
  }, 120_000);

  it('set: the correct mode under partitions and kills loses no acknowledged add', async () => {
    const run = await localRun({
      workload: 'set',
      targetOptions: { mode: 'correct' },
      nemesis: nemesis(['partition', 'kill']),
    });
    const s = resultOf<SetResult>(run, 'set', 'kvstore set correct, partition+kill');
    expect(s.acknowledged).toBeGreaterThan(50);
    expect(s.lost).toBe(0);
    expect(faultsIn(run)).toMatchObject({ partition: expect.any(Number), kill: expect.any(Number) });
    expect(run.valid).toBe(true);
  }, 120_000);
});
