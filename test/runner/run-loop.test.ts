/**
 * The run loop against a fake runtime (no Docker): phases, the process-id rule after info,
 * backoff against a dead node, final reads after the heal, heal and teardown on abort, and
 * refusals before anything starts. The real runtimes are tested with real databases elsewhere.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Op } from '../../src/history/op.js';
import { readHistoryFile } from '../../src/history/read.js';
import { runNemesisFor } from '../../src/nemesis/plan.js';
import { InvalidRunError } from '../../src/runner/preflight.js';
import { type Phase, type RunOptions, run } from '../../src/runner/run.js';
import { registerWorkload } from '../../workloads/register.js';
import { type FakeOptions, fakeWorld } from './fake-runtime.js';

const reports = () => mkdtempSync(join(tmpdir(), 'faultline-runloop-'));

function setup(fo: FakeOptions = {}, extra: Partial<RunOptions> = {}) {
  const world = fakeWorld(fo);
  const phases: Phase[] = [];
  const options: RunOptions = {
    runtime: world.runtime,
    target: world.target,
    workload: registerWorkload,
    concurrency: 4,
    timeLimitS: 1,
    rate: 400,
    seed: 7,
    opTimeoutMs: 50,
    reportsDir: reports(),
    onProgress: (p) => {
      if (phases.at(-1) !== p.phase) phases.push(p.phase);
    },
    ...extra,
  };
  return { world, phases, options };
}

const clientOps = (ops: readonly Op[]) => ops.filter((o) => o.process !== 'nemesis');

describe('the run loop on a fake runtime', () => {
  it('goes through every phase with a nemesis, ends healed and stopped, and checks the history', async () => {
    const nemesis = runNemesisFor(
      { families: ['kill'], intervalS: 0.3, recoveryS: 0.2, choices: { kill: { targets: ['one'] } } },
      { timeLimitS: 1 },
    );
    const { world, phases, options } = setup({}, { nemesis });
    const result = await run(options);
    expect(phases).toEqual([
      'starting',
      'running',
      'draining',
      'healing',
      'recovering',
      'final reads',
      'teardown',
      'checking',
      'done',
    ]);
    const calls = world.cluster()!.calls;
    expect(calls.some((c) => c.startsWith('kill '))).toBe(true);
    expect(calls.filter((c) => c === 'healAll').length).toBeGreaterThanOrEqual(1);
    expect(calls.at(-1)).toBe('stop');
    expect(result.valid).toBe(true);
    const meta = JSON.parse(readFileSync(join(result.dir, 'run.json'), 'utf8'));
    expect(meta).toMatchObject({
      target: 'fake',
      runtime: 'fake',
      workload: 'register',
      status: 'completed',
    });
    const results = JSON.parse(readFileSync(join(result.dir, 'results.json'), 'utf8'));
    expect(results.nemesis.length).toBeGreaterThan(0);
  });

  it('bounce (one module, one registry line) kills and restarts at once, through the kill ability', async () => {
    const nemesis = runNemesisFor(
      { families: ['bounce'], intervalS: 0.3, recoveryS: 0, choices: { bounce: { targets: ['all'] } } },
      { timeLimitS: 1 },
    );
    expect(nemesis.needs).toEqual(['kill']);
    const { world, options } = setup({}, { nemesis });
    const result = await run(options);
    const calls = world.cluster()!.calls;
    const first = calls.indexOf('kill n1');
    expect(first).toBeGreaterThanOrEqual(0);
    expect(calls.slice(first, first + 6).sort()).toEqual([
      'kill n1',
      'kill n2',
      'kill n3',
      'start n1',
      'start n2',
      'start n3',
    ]);
    const history = await readHistoryFile(result.historyPath, { format: 'jsonl' });
    expect(history.ops.some((o) => o.process === 'nemesis' && o.f === 'bounce')).toBe(true);
    const results = JSON.parse(readFileSync(join(result.dir, 'results.json'), 'utf8'));
    expect(results.nemesis[0]).toMatchObject({ kind: 'bounce', detail: 'all' });
    // A target that cannot be killed cannot be bounced: refused by the ability it needs.
    const noKill = setup({}, { nemesis });
    noKill.options.target = { ...noKill.world.target, unsupported: () => ({ kill: 'no process to kill' }) };
    await expect(run(noKill.options)).rejects.toThrow(
      /fault "kill" is not supported: fake: no process to kill/,
    );
  });

  it('gives a worker a new process id after every info, never reusing one', async () => {
    const { options } = setup({ infoEvery: 5 });
    const result = await run(options);
    const history = await readHistoryFile(result.historyPath, { format: 'jsonl' });
    const ops = clientOps(history.ops);
    const infos = ops.filter((o) => o.type === 'info');
    expect(infos.length).toBeGreaterThan(3);
    let continued = 0;
    for (const info of infos) {
      const p = info.process as number;
      // Nothing more from that process after its info; its worker goes on as p + concurrency.
      expect(ops.filter((o) => o.process === p && o.index > info.index)).toEqual([]);
      if (ops.some((o) => o.process === p + 4 && o.index > info.index)) continued++;
    }
    // Only a worker's last operation of the run can be an info with nothing after it.
    expect(continued).toBeGreaterThanOrEqual(infos.length - 4);
    // Unknown writes that did apply make cas and reads look odd but never impossible.
    expect(result.valid).toBe(true);
  });

  it('backs off against a dead node instead of flooding the history', async () => {
    const nemesis = runNemesisFor(
      { families: ['kill'], intervalS: 0.2, recoveryS: 0, choices: { kill: { targets: ['all'] } } },
      { timeLimitS: 1.5 },
    );
    const { options } = setup({}, { nemesis, rate: 0, timeLimitS: 1.5 });
    const result = await run(options);
    const history = await readHistoryFile(result.historyPath, { format: 'jsonl' });
    const failed = clientOps(history.ops).filter((o) => o.type === 'fail' && o.error === 'refused');
    expect(failed.length).toBeGreaterThan(0);
    // Without backoff 4 workers at full speed refuse hundreds of thousands of times in ~1 s;
    // with 5..160 ms pauses each worker makes at most a few hundred tries.
    expect(failed.length).toBeLessThan(4 * 400);
  });

  it('reads every live key once more after the heal (final reads)', async () => {
    const nemesis = runNemesisFor({ families: ['pause'], intervalS: 0.4, recoveryS: 0.1 }, { timeLimitS: 1 });
    const { options } = setup({}, { nemesis });
    const result = await run(options);
    const history = await readHistoryFile(result.historyPath, { format: 'jsonl' });
    const heal = history.ops.find((o) => o.process === 'nemesis' && (o.value as { final?: boolean })?.final);
    expect(heal).toBeDefined();
    // After the recovery period (0.1 s): what a worker still had in flight at the heal is not a final read.
    const recovered = heal!.time + 50e6;
    const after = clientOps(history.ops).filter((o) => o.time > recovered && o.type === 'invoke');
    expect(after.length).toBe(2); // keys = concurrency / 2
    expect(after.every((o) => o.f === 'read')).toBe(true);
    expect(new Set(after.map((o) => o.key)).size).toBe(2);
  });

  it('on abort: stops the workers, heals, stops the cluster, records the status and still checks', async () => {
    const nemesis = runNemesisFor(
      { families: ['partition'], intervalS: 0.2, recoveryS: 5 },
      { timeLimitS: 30 },
    );
    const controller = new AbortController();
    const { world, options } = setup({}, { nemesis, timeLimitS: 30, signal: controller.signal });
    setTimeout(() => controller.abort(), 700);
    const t0 = performance.now();
    const result = await run(options);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(result.interrupted).toBe(true);
    const calls = world.cluster()!.calls;
    expect(calls).toContain('healAll');
    expect(calls.at(-1)).toBe('stop');
    const meta = JSON.parse(readFileSync(join(result.dir, 'run.json'), 'utf8'));
    expect(meta.status).toBe('interrupted');
    expect(result.valid).toBe(true);
  });

  it('finds a stale store invalid', async () => {
    const { options } = setup({ stale: true }, { workloadOptions: { mix: { read: 1, write: 1, cas: 0 } } });
    const result = await run(options);
    expect(result.valid).toBe(false);
  });

  it('refuses before anything starts: no client for the protocol, a bad option, an impossible fault', async () => {
    const none = setup({ noClient: true });
    await expect(run(none.options)).rejects.toThrow(
      /target fake has no client for the register protocol that workload register needs/,
    );
    expect(none.world.cluster()).toBeUndefined();
    const bad = setup({}, { targetOptions: { flavour: 'sour' } });
    await expect(run(bad.options)).rejects.toThrow(InvalidRunError);
    await expect(run(bad.options)).rejects.toThrow(/target fake\.flavour/);
    const unknown = setup({}, { workloadOptions: { keyz: 3 } });
    await expect(run(unknown.options)).rejects.toThrow(/workload register: unknown option "keyz"/);
    const world = setup();
    world.options.target = { ...world.world.target, unsupported: () => ({ clock: 'no clocks here' }) };
    world.options.nemesis = runNemesisFor(
      { families: ['clock'], intervalS: 1, recoveryS: 0 },
      { timeLimitS: 1 },
    );
    await expect(run(world.options)).rejects.toThrow(/fault "clock" is not supported: fake: no clocks here/);
  });
});
