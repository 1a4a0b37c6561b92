/**
 * The causal, set and counter workloads on Redis, local runtime (no Docker):
 * primary + 2 asynchronous replicas. With the primary cut off from its replicas now and then,
 * reading from the replicas breaks session guarantees (they lag behind the primary the session
 * wrote to), named in the witnesses, with sticky and with roaming sessions; reading from the
 * primary under the same partitions, the same workload is causal.
 * Set and counter on the primary: valid.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CausalResult } from '../../src/checker/causal/index.js';
import { runNemesisFor } from '../../src/nemesis/plan.js';
import type { RunResult } from '../../src/runner/run.js';
import { createLocalRuntime } from '../../src/runtime/local/index.js';
import { type NamedRunOptions, namedRun } from '../named-run.js';

const reports = mkdtempSync(join(tmpdir(), 'faultline-workloads-'));

function localRun(o: Partial<NamedRunOptions> & { workload: string }): Promise<RunResult> {
  return namedRun({
    target: 'redis',
    topology: 'replicas',
    concurrency: 10,
    timeLimitS: 5,
    seed: 11,
    opTimeoutMs: 1000,
    reportsDir: reports,
    runtime: createLocalRuntime(),
    ...o,
  });
}

function causal(r: RunResult, what: string): CausalResult {
  const c = r.results?.causal as unknown as CausalResult;
  console.log(
    `[workloads] redis ${what}: ${JSON.stringify({ counts: r.counts, summary: c.summary, guarantees: c.sessionGuarantees })}`,
  );
  return c;
}

const broken = (c: CausalResult) => Object.values(c.sessionGuarantees).reduce((a, b) => a + b, 0);

describe.skipIf(!existsSync('/usr/bin/redis-server'))('redis workloads on the local runtime', () => {
  // Isolating the primary from both replicas (clients still reach every node) makes the
  // replicas lag for certain: on an idle loopback they apply each write within moments, so
  // a run without faults only sometimes catches a session reading before its replica caught up
  // (a CI run saw three seeds in a row with no broken guarantee).
  const primaryCut = (timeLimitS: number) =>
    runNemesisFor(
      { families: ['partition'], intervalS: 1, recoveryS: 1, choices: { partition: { kinds: ['primary'] } } },
      { timeLimitS },
    );
  const cuts = (r: RunResult) =>
    readFileSync(r.historyPath, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"process":"nemesis"') && l.includes('"partition"')).length;

  it('causal: reads from lagging replicas break session guarantees (sticky and roaming); reads from the primary under the same partitions are causal', async () => {
    for (const sessions of ['sticky', 'roaming'] as const) {
      let c: CausalResult | undefined;
      for (let seed = 1; seed <= 3 && (c === undefined || broken(c) === 0); seed++) {
        const r = await localRun({
          workload: 'causal',
          seed,
          targetOptions: { readFrom: 'replica' },
          workloadOptions: { sessions },
          nemesis: primaryCut(5),
        });
        expect(cuts(r)).toBeGreaterThan(0);
        c = causal(r, `replica reads, ${sessions}, seed ${seed}`);
      }
      expect(c!.models.CC).toBe(false);
      expect(broken(c!)).toBeGreaterThan(0);
    }
    const primary = await localRun({
      workload: 'causal',
      workloadOptions: { model: 'CM' },
      nemesis: primaryCut(5),
    });
    expect(cuts(primary)).toBeGreaterThan(0);
    const p = causal(primary, 'primary reads');
    expect(primary.counts.ok).toBeGreaterThan(1000);
    expect(p.models).toEqual({ CC: true, CCv: true, CM: true });
    expect(primary.valid).toBe(true);
  }, 240_000);

  it('set and counter on the primary: valid', async () => {
    for (const workload of ['set', 'counter']) {
      const r = await localRun({ workload });
      console.log(
        `[workloads] redis ${workload}: ${JSON.stringify(r.counts)} ${(r.results?.[workload] as { summary?: string } | undefined)?.summary}`,
      );
      expect(r.counts.ok).toBeGreaterThan(1000);
      expect(r.valid).toBe(true);
    }
  }, 120_000);
});
