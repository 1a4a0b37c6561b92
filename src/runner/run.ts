/**
 * One run, end to end: place the target's nodes with the runtime, drive them with the
 * workload's generator through `concurrency` client workers and a nemesis beside them, record
 * every invocation and completion live to reports/<run>/history.jsonl, heal and tear down
 * always, then run the workload's checkers on the history file and write results.json and the
 * report. `run()` receives objects (runtime, target, workload, nemesis) and knows none of
 * them by name: the CLI and config loader turn names into objects at the edge.
 */
import { setMaxListeners } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CheckResult, Verdict } from '../checker/types.js';
import { createJsonlWriter } from '../history/jsonl.js';
import type { RunNemesis } from '../nemesis/plan.js';
import type { Cluster } from '../runtime/cluster.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Target } from '../targets/types.js';
import { checkRun } from './check.js';
import { createRunMeta, newRunId } from './meta.js';
import { type Resolved, resolveRun } from './preflight.js';
import { type Counts, Recorder } from './recorder.js';
import { createRng, randomSeed } from './rng.js';
import { startCluster } from './start.js';
import { processIds, runFinal, runWorkers, sleep, type Workers } from './workers.js';
import { isReadOnly, type Workload } from './workload.js';

export interface RunOptions {
  runtime: Runtime;
  target: Target;
  /** The target's options, as its schema takes them (defaults filled in). */
  targetOptions?: Record<string, unknown>;
  topology?: string;
  nodes?: number;
  workload: Workload;
  workloadOptions?: Record<string, unknown>;
  /** Client workers (default 10). */
  concurrency?: number;
  /** Total operations per second over all workers; 0 or undefined: as fast as they go. */
  rate?: number;
  /** Seconds of workload (default 30). */
  timeLimitS?: number;
  /** Default: random (recorded in run.json). */
  seed?: number;
  /** Per-operation timeout, ms (default 2000). */
  opTimeoutMs?: number;
  /** Where runs land (default "reports"); the run's directory is <reportsDir>/<runId>. */
  reportsDir?: string;
  runId?: string;
  /** Run the checkers after the run (default true). */
  check?: boolean;
  /** Aborting ends the run early: workers stop, in-flight operations finish, teardown, check. */
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  onEvent?: (message: string) => void;
  /**
   * Faults beside the workers (src/nemesis/plan.ts, `runNemesisFor`): checked against the
   * cluster before any client starts; it leaves the cluster healed. Then the runner waits
   * `recoveryS` and has the workers do the generator's final operations.
   */
  nemesis?: RunNemesis;
  /** Facts for run.json about how the run was asked for (names, flags, config file). */
  describe?: Record<string, unknown>;
}

export const PHASES = [
  'starting',
  'running',
  'draining',
  'healing',
  'recovering',
  'final reads',
  'teardown',
  'checking',
  'done',
] as const;
export type Phase = (typeof PHASES)[number];

export interface Progress {
  elapsedS: number;
  opsPerS: number;
  counts: Counts;
  phase: Phase;
}

export interface RunResult {
  runId: string;
  dir: string;
  historyPath: string;
  valid: Verdict;
  interrupted: boolean;
  counts: Counts;
  /** Completed operations per second over the workload phase. */
  opsPerSecond: number;
  results?: Record<string, CheckResult>;
}

export { newRunId } from './meta.js';

/** The run's options with every default filled in. */
export function withDefaults(o: RunOptions) {
  return {
    ...o,
    concurrency: o.concurrency ?? 10,
    rate: o.rate ?? 0,
    timeLimitS: o.timeLimitS ?? 30,
    seed: o.seed ?? randomSeed(),
    opTimeoutMs: o.opTimeoutMs ?? 2000,
  };
}

export type FullRunOptions = ReturnType<typeof withDefaults>;

/** Validates what can be validated before anything starts (throws InvalidRunError). */
export function validateRunOptions(options: RunOptions, runId = 'preflight'): Resolved {
  const o = withDefaults(options);
  const positiveInt = (n: number) => Number.isInteger(n) && n >= 1;
  if (!positiveInt(o.concurrency)) throw new Error('concurrency must be an integer ≥ 1');
  if (!(o.timeLimitS > 0)) throw new Error('time limit must be > 0 seconds');
  if (!(o.opTimeoutMs > 0)) throw new Error('operation timeout must be > 0 ms');
  if (!(o.rate >= 0)) throw new Error('rate must be ≥ 0');
  if (!Number.isInteger(o.seed)) throw new Error('seed must be an integer');
  return resolveRun({ ...o, faults: o.nemesis?.needs ?? [], runId });
}

export async function run(options: RunOptions): Promise<RunResult> {
  const o = withDefaults(options);
  const runId = o.runId ?? newRunId();
  const resolved = validateRunOptions(o, runId);
  const dir = resolve(o.reportsDir ?? 'reports', runId);
  mkdirSync(join(dir, 'nodes'), { recursive: true });
  const meta = createRunMeta(dir, runId, o, resolved);
  const historyPath = join(dir, 'history.jsonl');
  const writer = createJsonlWriter(historyPath);
  const recorder = new Recorder(writer);
  const progress = progressReporter(o.onProgress, () => recorder.counts);
  progress.enter('starting');

  let cluster: Cluster | undefined;
  try {
    if (!o.signal?.aborted) {
      cluster = await startCluster(o, resolved, runId, join(dir, 'nodes'));
      meta.started(cluster);
      if (!o.signal?.aborted) await drive(o, resolved, cluster, recorder, progress);
    }
  } catch (e) {
    meta.crashed(e as Error);
    throw e;
  } finally {
    await writer.close();
    progress.enter('teardown');
    if (cluster) await teardown(o, cluster);
    meta.finish(recorder.counts, o.signal?.aborted === true, progress.workSeconds());
  }
  const result: RunResult = {
    runId,
    dir,
    historyPath,
    valid: 'unknown',
    interrupted: o.signal?.aborted === true,
    counts: { ...recorder.counts },
    opsPerSecond: meta.opsPerSecond(),
  };
  if (o.check === false) return result;
  progress.enter('checking');
  Object.assign(result, await checkRun(dir, historyPath, o, resolved, result));
  progress.enter('done');
  return result;
}

async function teardown(o: FullRunOptions, cluster: Cluster): Promise<void> {
  // The nemesis heals on its way out; this covers a run that died around it.
  if (o.nemesis) await cluster.healAll().catch(() => {});
  o.onEvent?.('tearing down');
  await cluster.stop();
}

/** The workload phase, the nemesis beside it, then heal, recovery and the final operations. */
async function drive(
  o: FullRunOptions,
  resolved: Resolved,
  cluster: Cluster,
  recorder: Recorder,
  progress: ReturnType<typeof progressReporter>,
): Promise<void> {
  o.nemesis?.prepare(cluster);
  const clients = [];
  for (let worker = 0; worker < o.concurrency; worker++) {
    clients.push(
      await resolved.openClient({
        cluster,
        worker,
        options: resolved.targetOptions,
        topology: resolved.topology,
        timeoutMs: o.opTimeoutMs,
      }),
    );
  }
  const w: Workers<never> = {
    clients,
    recorder,
    readOnly: (op) => isReadOnly(o.workload, op),
    opTimeoutMs: o.opTimeoutMs,
  };
  try {
    await phases(o, resolved, cluster, w, progress);
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()));
  }
}

async function phases(
  o: FullRunOptions,
  resolved: Resolved,
  cluster: Cluster,
  w: Workers<never>,
  progress: ReturnType<typeof progressReporter>,
): Promise<void> {
  const rng = createRng(o.seed);
  const generator = o.workload.generator(resolved.workloadOptions, {
    concurrency: o.concurrency,
    rng: rng.fork(),
  });
  const nemesisRng = rng.fork();
  // Forked after the others, so the generator's and the nemesis' streams stay as they were.
  const backoffRng = rng.fork();
  const phaseEnd = new AbortController();
  // Every worker's pause waits on this signal at once: many listeners are expected, not a leak.
  setMaxListeners(0, phaseEnd.signal);
  const stopTimer = setTimeout(() => phaseEnd.abort(), o.timeLimitS * 1000);
  const stopOnSignal = () => phaseEnd.abort();
  o.signal?.addEventListener('abort', stopOnSignal, { once: true });
  phaseEnd.signal.addEventListener('abort', () => progress.enter('draining'), { once: true });
  const pids = processIds(o.concurrency);
  o.onEvent?.(
    `running ${o.workload.name} on ${o.target.name} for ${o.timeLimitS} s with ${o.concurrency} workers (seed ${o.seed})`,
  );
  progress.enter('running');
  const primaries = o.target.primaries;
  const nemesisDone = o.nemesis?.run({
    cluster,
    recorder: w.recorder,
    rng: nemesisRng,
    signal: phaseEnd.signal,
    primaries: primaries && (() => primaries(cluster, resolved.targetOptions, resolved.topology)),
  });
  // A nemesis that fails ends the workload phase now; awaiting it below fails the run.
  nemesisDone?.catch(() => phaseEnd.abort());
  try {
    const deadline = performance.now() + o.timeLimitS * 1000;
    await runWorkers(w, {
      generator,
      pids,
      rng: backoffRng,
      rate: o.rate,
      deadline,
      signal: phaseEnd.signal,
    });
  } finally {
    progress.workDone();
    phaseEnd.abort();
    clearTimeout(stopTimer);
    o.signal?.removeEventListener('abort', stopOnSignal);
  }
  if (nemesisDone) progress.enter('healing');
  await nemesisDone;
  if (!o.nemesis || o.signal?.aborted) return;
  // Healed: a quiet recovery period, then the final operations (what was lost shows here).
  o.onEvent?.(`recovering for ${o.nemesis.recoveryS} s, then final reads`);
  progress.enter('recovering');
  await sleep(o.nemesis.recoveryS * 1000, o.signal);
  progress.enter('final reads');
  await runFinal(w, generator.final?.() ?? [], pids, o.signal);
}

/** The progress callback: the phase, elapsed time, ops/s over the workload phase, counts. */
function progressReporter(onProgress: ((p: Progress) => void) | undefined, counts: () => Counts) {
  const t0 = performance.now();
  let phase: Phase = 'starting';
  let workStart: number | undefined;
  let workEnd: number | undefined;
  const report = () => {
    const now = performance.now();
    const workS = workStart === undefined ? 0 : ((workEnd ?? now) - workStart) / 1000;
    const c = { ...counts() };
    const opsPerS = workS > 0 ? (c.ok + c.fail + c.info) / workS : 0;
    onProgress?.({ elapsedS: (now - t0) / 1000, opsPerS, counts: c, phase });
  };
  // The timer reports whichever phase the run is in (a long recovery is not "running").
  const timer = setInterval(report, 1000);
  timer.unref();
  return {
    enter(next: Phase) {
      if (next === 'running') workStart = performance.now();
      if (next === 'done' || next === 'teardown') clearInterval(timer);
      phase = next;
      report();
    },
    workDone() {
      workEnd ??= performance.now();
    },
    workSeconds: () =>
      workStart === undefined ? undefined : ((workEnd ?? performance.now()) - workStart) / 1000,
  };
}
