/**
 * The causal, set and counter workloads on Redis, local runtime (no Docker), no faults:
 * primary + 2 asynchronous replicas. Reading from the replicas breaks session guarantees
 * (replication lags behind the primary the session wrote to), named in the witnesses, with
 * sticky and with roaming sessions; reading from the primary, the same workload is causal.
 * Set and counter on the primary: valid.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CausalResult } from '../../src/checker/causal/index.js';
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
  it('causal: reads from replicas break session guarantees (sticky and roaming); reads from the primary are causal', async () => {
    // A sticky session sees its own writes late only when a replica lags at that moment: in a
    // short run that can miss, so up to three runs (seeds) are tried.
    let sticky: CausalResult | undefined;
    for (let seed = 1; seed <= 3 && (sticky === undefined || sticky.models.CC); seed++) {
      sticky = causal(
        await localRun({ workload: 'causal', seed, targetOptions: { readFrom: 'replica' } }),
        `replica reads, sticky, seed ${seed}`,
      );
    }
    expect(sticky!.models.CC).toBe(false);
    expect(broken(sticky!)).toBeGreaterThan(0);
    // Roaming between two replicas that lag by about the same amount: which guarantee a
    // session trips over (its own write missing, or a read going back in time) varies by run;
    // a CI run saw read-your-writes and writes-follow-reads broken with monotonic reads intact.
    let roaming: CausalResult | undefined;
    for (let seed = 1; seed <= 3 && (roaming === undefined || broken(roaming) === 0); seed++) {
      roaming = causal(
        await localRun({
          workload: 'causal',
          seed,
          targetOptions: { readFrom: 'replica' },
          workloadOptions: { sessions: 'roaming' },
        }),
        `replica reads, roaming, seed ${seed}`,
      );
    }
    expect(roaming!.models.CC).toBe(false);
    expect(broken(roaming!)).toBeGreaterThan(0);
    const primary = await localRun({ workload: 'causal', workloadOptions: { model: 'CM' } });
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
