/**
 * The set, counter and causal workloads on real clusters in Docker (partitions need it: the
 * local runtime refuses them for etcd and Redis), short runs, each truth with a valid control:
 *   - etcd, sessions roaming between members under partitions: serializable reads (a member's
 *     local state) break monotonic reads; linearizable reads under partition + kill are causal;
 *   - etcd under partition + kill: set and counter valid;
 *   - Redis Sentinel with the primary isolated: the set loses acknowledged adds (writes the
 *     isolated old primary acknowledged vanish when it rejoins as a replica); Redis with the
 *     same workload and no fault: valid.
 * Skips (saying why) only when no Docker engine answers.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CausalResult } from '../../src/checker/causal/index.js';
import type { CounterResult } from '../../src/checker/counter.js';
import type { SetResult } from '../../src/checker/set.js';
import { type NemesisPlan, runNemesisFor } from '../../src/nemesis/plan.js';
import type { RunResult } from '../../src/runner/run.js';
import { engineStatus } from '../../src/runtime/docker/engine.js';
import { type NamedRunOptions, namedRun } from '../named-run.js';
import { faultsIn, resultOf } from './helpers.js';

const engine = await engineStatus();
if (!engine.ok) console.warn(`SKIPPING workload Docker runs: ${engine.reason}`);

const reports = mkdtempSync(join(tmpdir(), 'faultline-workloads-docker-'));

type Run = Partial<NamedRunOptions> & {
  target: string;
  workload: string;
  plan?: Omit<NemesisPlan, 'recoveryS'>;
};

function dockerRun({ plan, ...o }: Run): Promise<RunResult> {
  const timeLimitS = o.timeLimitS ?? 10;
  return namedRun({
    concurrency: 10,
    seed: 3,
    opTimeoutMs: 1000,
    reportsDir: reports,
    timeLimitS,
    ...o,
    ...(plan ? { nemesis: runNemesisFor({ recoveryS: 2, ...plan }, { timeLimitS }) } : {}),
  });
}

const partitionKill: Omit<NemesisPlan, 'recoveryS'> = { families: ['partition', 'kill'], intervalS: 2 };

describe.skipIf(!engine.ok)('workloads on real clusters (Docker)', () => {
  it('etcd, roaming sessions: serializable reads under partitions break monotonic reads; linearizable reads under partition + kill are causal', async () => {
    const weak = await dockerRun({
      target: 'etcd',
      workload: 'causal',
      targetOptions: { serializable: true },
      workloadOptions: { sessions: 'roaming' },
      plan: { families: ['partition'], intervalS: 2, choices: { partition: { kinds: ['one'] } } },
    });
    const w = resultOf<CausalResult>(weak, 'causal', 'etcd causal serializable roaming, partitions');
    expect(faultsIn(weak).partition).toBeGreaterThan(0);
    expect(w.models.CC).toBe(false);
    expect(w.sessionGuarantees['monotonic-reads']).toBeGreaterThan(0);
    const control = await dockerRun({
      target: 'etcd',
      workload: 'causal',
      workloadOptions: { sessions: 'roaming', model: 'CM' },
      plan: partitionKill,
    });
    const c = resultOf<CausalResult>(control, 'causal', 'etcd causal linearizable roaming, partition+kill');
    expect(control.counts.ok).toBeGreaterThan(200);
    expect(faultsIn(control)).toMatchObject({ partition: expect.any(Number), kill: expect.any(Number) });
    expect(c.models).toEqual({ CC: true, CCv: true, CM: true });
    expect(control.valid).toBe(true);
  }, 240_000);

  it('etcd under partition + kill: set and counter valid', async () => {
    const set = await dockerRun({ target: 'etcd', workload: 'set', plan: partitionKill });
    const s = resultOf<SetResult>(set, 'set', 'etcd set, partition+kill');
    expect(s.acknowledged).toBeGreaterThan(100);
    expect(faultsIn(set)).toMatchObject({ partition: expect.any(Number), kill: expect.any(Number) });
    expect(set.valid).toBe(true);
    const counter = await dockerRun({ target: 'etcd', workload: 'counter', plan: partitionKill });
    const c = resultOf<CounterResult>(counter, 'counter', 'etcd counter, partition+kill');
    expect(c.increments.ok).toBeGreaterThan(20);
    expect(faultsIn(counter)).toMatchObject({ partition: expect.any(Number), kill: expect.any(Number) });
    expect(counter.valid).toBe(true);
  }, 240_000);

  it('redis sentinel, the primary isolated: the set loses acknowledged adds; without the fault it loses none', async () => {
    const sentinel = { target: 'redis', topology: 'sentinel', workload: 'set', rate: 300 };
    const targetOptions = { sentinelDownAfterMs: 1000 };
    const cut = await dockerRun({
      ...sentinel,
      targetOptions,
      timeLimitS: 15,
      plan: { families: ['partition'], intervalS: 6, choices: { partition: { kinds: ['primary'] } } },
    });
    const s = resultOf<SetResult>(cut, 'set', 'redis sentinel set, primary isolated');
    console.log(`[workloads] lost: ${JSON.stringify(s.lostElements.slice(0, 3))}`);
    expect(faultsIn(cut).partition).toBe(1);
    expect(s.lost).toBeGreaterThan(0);
    expect(cut.valid).toBe(false);
    const control = await dockerRun({ ...sentinel, targetOptions });
    const c = resultOf<SetResult>(control, 'set', 'redis sentinel set, no fault');
    expect(c.acknowledged).toBeGreaterThan(500);
    expect(control.valid).toBe(true);
  }, 240_000);
});
