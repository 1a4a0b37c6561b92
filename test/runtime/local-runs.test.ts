/**
 * Whole runs on the local runtime (no Docker): the kvstore with R + W ≤ N under partitions finds
 * stale reads (majority quorums under the same faults: valid); a clock bump on one node makes
 * wall-clock last-write-wins lose acknowledged writes (Lamport clocks under the same faults:
 * valid); etcd under kill + pause + latency stays linearizable. Nothing is left after each run,
 * after a Ctrl-C of the CLI mid-run, after `kill -9` of the CLI (the watchdog ends its nodes),
 * and after `kill -9` without the watchdog followed by `faultline clean` (the kvstore; etcd and
 * Redis replicas under partitions for the Ctrl-C and the clean).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runNemesisFor } from '../../src/nemesis/plan.js';
import type { NemesisFamily } from '../../src/nemesis/types.js';
import type { RunResult } from '../../src/runner/run.js';
import { createLocalRuntime } from '../../src/runtime/local/index.js';
import { type NamedRunOptions, namedRun } from '../named-run.js';
import { expectNothingLeft, portsOf, processesUnder } from './local-helpers.js';

const reports = mkdtempSync(join(tmpdir(), 'faultline-local-runs-'));
const root = resolve(import.meta.dirname, '..', '..');
const cli = join(root, 'dist/src/cli/main.js');

const nemesis = (families: NemesisFamily[], timeLimitS: number, intervalS: number, choices = {}) =>
  runNemesisFor({ families, intervalS, recoveryS: 1, choices }, { timeLimitS });

async function localRun(o: Partial<NamedRunOptions> & { target: string }): Promise<RunResult> {
  const r = await namedRun({
    workload: 'register',
    concurrency: 10,
    timeLimitS: 6,
    seed: 11,
    opTimeoutMs: 1000,
    reportsDir: reports,
    runtime: createLocalRuntime(),
    ...o,
  });
  const meta = JSON.parse(readFileSync(join(r.dir, 'run.json'), 'utf8'));
  expect(meta.runtime).toBe('local');
  expect(existsSync(join(r.dir, 'nodes', 'n1.log'))).toBe(true);
  expect(await expectNothingLeft(r.dir, portsOf(meta.cluster ?? {}))).toEqual([]);
  return r;
}

const readWrite = { mix: { read: 1, write: 1, cas: 0 } };
const faultsIn = (r: RunResult) =>
  readFileSync(r.historyPath, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"process":"nemesis"')).length;

describe('runs on the local runtime', () => {
  it('kvstore R=1 W=1 under partitions: stale reads found; majority quorums under the same partitions: valid', async () => {
    const partitions = () => nemesis(['partition'], 6, 1.5, { partition: { kinds: ['one', 'halves'] } });
    const weak = await localRun({
      target: 'kvstore',
      targetOptions: { mode: 'correct', readQuorum: 1, writeQuorum: 1 },
      workloadOptions: readWrite,
      nemesis: partitions(),
    });
    expect(faultsIn(weak)).toBeGreaterThan(0);
    expect(weak.valid).toBe(false);
    const control = await localRun({
      target: 'kvstore',
      targetOptions: { mode: 'correct' },
      workloadOptions: readWrite,
      nemesis: partitions(),
    });
    expect(faultsIn(control)).toBeGreaterThan(0);
    expect(control.counts.ok).toBeGreaterThan(100);
    expect(control.valid).toBe(true);
  }, 90_000);

  it('a clock bump on one node: wall-clock LWW loses acknowledged writes; Lamport clocks do not', async () => {
    const bumps = () =>
      nemesis(['clock'], 6, 1.5, {
        clock: { targets: ['one'], modes: ['bump'], offsetsS: [-30], maxOffsetS: 30 },
      });
    const wall = await localRun({
      target: 'kvstore',
      targetOptions: { mode: 'correct', clock: 'wall' },
      workloadOptions: readWrite,
      nemesis: bumps(),
    });
    expect(faultsIn(wall)).toBeGreaterThan(0);
    expect(wall.valid).toBe(false);
    const logical = await localRun({
      target: 'kvstore',
      targetOptions: { mode: 'correct' },
      workloadOptions: readWrite,
      nemesis: bumps(),
    });
    expect(logical.counts.ok).toBeGreaterThan(100);
    expect(logical.valid).toBe(true);
  }, 90_000);

  it.skipIf(!existsSync('/usr/bin/etcd'))(
    'etcd, 3 nodes under kill + pause + latency: linearizable',
    async () => {
      const r = await localRun({
        target: 'etcd',
        timeLimitS: 8,
        opTimeoutMs: 2000,
        nemesis: nemesis(['kill', 'pause', 'latency'], 8, 1.5),
      });
      expect(faultsIn(r)).toBeGreaterThan(0);
      expect(r.counts.ok).toBeGreaterThan(100);
      expect(r.valid).toBe(true);
    },
    90_000,
  );
});

/** The CLI from dist/ (built by the global setup) with its own state directory. */
function startCli(
  dir: string,
  state: string,
  env: Record<string, string> = {},
  args: string[] = [],
): { child: ChildProcess; running: Promise<void> } {
  const argv = [cli, 'run', '--time-limit', '60', '--seed', '3', '--reports', dir, ...args];
  const child = spawn(process.execPath, argv, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FAULTLINE_LOCAL_STATE: state, ...env },
  });
  let stderr = '';
  child.stdout!.resume();
  const running = new Promise<void>((res, rej) => {
    child.stderr!.on('data', (c) => {
      stderr += c;
      if (stderr.includes('running register')) res();
    });
    child.on('exit', () => rej(new Error(`exited before running:\n${stderr}`)));
  });
  return { child, running };
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

describe.skipIf(!existsSync(cli))('the CLI on the local runtime leaves nothing behind', () => {
  it('Ctrl-C mid-run: torn down, history kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-local-sigint-'));
    const state = mkdtempSync(join(tmpdir(), 'faultline-local-state-'));
    const { child, running } = startCli(dir, state);
    await running;
    await new Promise((r) => setTimeout(r, 1500));
    expect(processesUnder(dir).length).toBeGreaterThanOrEqual(3);
    const gone = exited(child);
    child.kill('SIGINT');
    const code = await gone;
    const [runId] = readdirSync(dir);
    const meta = JSON.parse(readFileSync(join(dir, runId!, 'run.json'), 'utf8'));
    expect(meta.status).toBe('interrupted');
    // An interrupted run proves an anomaly (1) or nothing (2): never 0.
    const results = JSON.parse(readFileSync(join(dir, runId!, 'results.json'), 'utf8'));
    expect(code).toBe(results.valid === false ? 1 : 2);
    expect(await expectNothingLeft(dir, portsOf(meta.cluster ?? {}))).toEqual([]);
    expect(readdirSync(state)).toEqual([]);
  }, 60_000);

  it('kill -9 of the harness: the watchdog ends its nodes within a second', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-local-kill9-'));
    const state = mkdtempSync(join(tmpdir(), 'faultline-local-state-'));
    const { child, running } = startCli(dir, state);
    await running;
    expect(processesUnder(dir).length).toBeGreaterThanOrEqual(3);
    const gone = exited(child);
    child.kill('SIGKILL');
    await gone;
    await new Promise((r) => setTimeout(r, 1000));
    expect(await expectNothingLeft(dir, [])).toEqual([]);
    expect(readdirSync(state)).toEqual([]);
  }, 60_000);

  it('kill -9 of the harness without a watchdog, then `faultline clean`: nothing left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-local-clean-'));
    const state = mkdtempSync(join(tmpdir(), 'faultline-local-state-'));
    const { child, running } = startCli(dir, state, { FAULTLINE_LOCAL_WATCHDOG: '0' });
    await running;
    const gone = exited(child);
    child.kill('SIGKILL');
    await gone;
    await new Promise((r) => setTimeout(r, 300));
    // Orphaned nodes keep running (their own process groups) until cleaned.
    expect(processesUnder(dir).length).toBeGreaterThanOrEqual(3);
    const dry = spawnSync(process.execPath, [cli, 'clean', '--dry-run'], {
      encoding: 'utf8',
      env: { ...process.env, FAULTLINE_LOCAL_STATE: state },
    });
    expect(dry.stdout).toMatch(/would end [3-9] local process group/);
    const clean = spawnSync(process.execPath, [cli, 'clean'], {
      encoding: 'utf8',
      env: { ...process.env, FAULTLINE_LOCAL_STATE: state },
    });
    expect(clean.stdout).toMatch(/ended [3-9] local process group/);
    expect(await expectNothingLeft(dir, [])).toEqual([]);
    expect(readdirSync(state)).toEqual([]);
  }, 60_000);
});

/** etcd and Redis replicas under partitions (their peer traffic through the proxy's routes). */
const partitioned = [
  ['etcd', '/usr/bin/etcd', ['--target', 'etcd']],
  ['redis replicas', '/usr/bin/redis-server', ['--target', 'redis', '--topology', 'replicas']],
] as const;

describe.skipIf(!existsSync(cli)).each(partitioned)(
  'the CLI on the local runtime leaves nothing behind: %s under partitions',
  (_name, binary, target) => {
    const args = [...target, '--nemesis', 'partition', '--nemesis-interval', '1'];
    it.skipIf(!existsSync(binary))(
      'Ctrl-C mid-run, mid-partition: torn down',
      async () => {
        const dir = mkdtempSync(join(tmpdir(), 'faultline-local-sigint-'));
        const state = mkdtempSync(join(tmpdir(), 'faultline-local-state-'));
        const { child, running } = startCli(dir, state, {}, args);
        await running;
        await new Promise((r) => setTimeout(r, 2500));
        expect(processesUnder(dir).length).toBeGreaterThanOrEqual(3);
        const gone = exited(child);
        child.kill('SIGINT');
        await gone;
        const [runId] = readdirSync(dir);
        const meta = JSON.parse(readFileSync(join(dir, runId!, 'run.json'), 'utf8'));
        expect(meta.status).toBe('interrupted');
        expect(readFileSync(join(dir, runId!, 'history.jsonl'), 'utf8')).toMatch(/"process":"nemesis"/);
        expect(await expectNothingLeft(dir, portsOf(meta.cluster ?? {}))).toEqual([]);
        expect(readdirSync(state)).toEqual([]);
      },
      60_000,
    );

    it.skipIf(!existsSync(binary))(
      'kill -9 without a watchdog, then `faultline clean`: nothing left',
      async () => {
        const dir = mkdtempSync(join(tmpdir(), 'faultline-local-clean-'));
        const state = mkdtempSync(join(tmpdir(), 'faultline-local-state-'));
        const { child, running } = startCli(dir, state, { FAULTLINE_LOCAL_WATCHDOG: '0' }, args);
        await running;
        await new Promise((r) => setTimeout(r, 1500));
        const gone = exited(child);
        child.kill('SIGKILL');
        await gone;
        await new Promise((r) => setTimeout(r, 300));
        expect(processesUnder(dir).length).toBeGreaterThanOrEqual(3);
        const clean = spawnSync(process.execPath, [cli, 'clean'], {
          encoding: 'utf8',
          env: { ...process.env, FAULTLINE_LOCAL_STATE: state },
        });
        expect(clean.stdout).toMatch(/ended [3-9] local process group/);
        expect(await expectNothingLeft(dir, [])).toEqual([]);
        expect(readdirSync(state)).toEqual([]);
      },
      60_000,
    );
  },
);
