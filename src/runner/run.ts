/**
 * One run, end to end: bring the target up, drive it with the workload's generator through
 * `concurrency` client workers (and, once the nemesis issue lands, a nemesis worker), record
 * every invocation and completion live to reports/<run>/history.jsonl, tear down always, then
 * run the workload's checkers on the history file and write results.json.
 *
 * Worker processes follow the history spec: each worker starts as process = its index; after
 * an `info` completion the worker continues as process + concurrency (Jepsen's rule: the old
 * operation may still be in flight, so that process id is never used again). A worker whose
 * operation found the database unavailable backs off briefly before the next (backoff.ts).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workloadByName } from '../../workloads/index.js';
import { type CheckResult, type Verdict, worstVerdict } from '../checker/types.js';
import { clientFor } from '../clients/index.js';
import type { Client, ClientOp, Completion } from '../clients/types.js';
import { createJsonlWriter } from '../history/jsonl.js';
import type { Process } from '../history/op.js';
import { readHistoryFile } from '../history/read.js';
import type { RunNemesis } from '../nemesis/plan.js';
import { nemesisIntervals } from '../nemesis/record.js';
import { writeRunReport, writeRunsIndex } from '../report/write.js';
import type { Cluster } from '../runtime/cluster.js';
import { createDockerCluster, newRunId } from '../runtime/docker/cluster.js';
import { targetByName } from '../targets/index.js';
import { createBackoff } from './backoff.js';
import { type Counts, Recorder } from './recorder.js';
import { createRng, type Rng } from './rng.js';

export interface RunOptions {
  target: string;
  topology?: string;
  nodes?: number;
  /** Target options (kvstore quorums, etcd pre-vote, ...). */
  targetOptions?: Record<string, unknown>;
  workload: string;
  workloadOptions?: Record<string, unknown>;
  /** Client options (etcd serializable reads, ...). */
  clientOptions?: Record<string, unknown>;
  concurrency: number;
  /** Total operations per second over all workers; 0 or undefined: as fast as they go. */
  rate?: number;
  timeLimitS: number;
  seed: number;
  /** Per-operation timeout (ms). */
  opTimeoutMs: number;
  /** Where runs land (default "reports"); the run's directory is <reportsDir>/<runId>. */
  reportsDir?: string;
  runId?: string;
  subnet?: string;
  image?: string;
  /** Run the checkers after the run (default true). */
  check?: boolean;
  /** Aborting ends the run early: workers stop, in-flight operations finish, teardown, check. */
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  onEvent?: (message: string) => void;
  /**
   * An optional fault injector (src/nemesis/plan.ts, `runNemesisFor`): checked against the
   * cluster before any client starts, run beside the workers with its own seeded randomness
   * and a signal that fires when the workload phase ends; it leaves the cluster healed. Then
   * the runner waits `recoveryS` and has the workers do the generator's final reads.
   */
  nemesis?: RunNemesis;
}

export interface NemesisContext {
  cluster: Cluster;
  recorder: Recorder;
  rng: Rng;
  signal: AbortSignal;
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

export interface Progress {
  elapsedS: number;
  opsPerS: number;
  counts: Counts;
  /**
   * starting, running (the workload), draining (in-flight operations finishing), then with a
   * nemesis: healing (the final heal), recovering (the quiet period), final reads; then
   * teardown, checking, done.
   */
  phase: (typeof PHASES)[number];
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

export function faultlineVersion(): string {
  try {
    let dir = dirname(fileURLToPath(import.meta.url));
    for (let i = 0; i < 5; i++) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
          name?: string;
          version?: string;
        };
        if (pkg.name === 'faultline') return pkg.version ?? 'unknown';
      } catch {}
      dir = dirname(dir);
    }
  } catch {}
  return 'unknown';
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((res) => {
    if (signal?.aborted) return res();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      res();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** Validates what can be validated before anything starts (a bad config fails here). */
export function validateRunOptions(o: RunOptions): void {
  const target = targetByName(o.target);
  const topology = o.topology ?? target.defaultTopology;
  if (!target.topologies.includes(topology)) {
    throw new Error(
      `target ${o.target}: unknown topology "${topology}" (known: ${target.topologies.join(', ')})`,
    );
  }
  const workload = workloadByName(o.workload);
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1)
    throw new Error('concurrency must be an integer ≥ 1');
  if (!(o.timeLimitS > 0)) throw new Error('time limit must be > 0 seconds');
  if (!(o.opTimeoutMs > 0)) throw new Error('operation timeout must be > 0 ms');
  if (o.rate !== undefined && !(o.rate >= 0)) throw new Error('rate must be ≥ 0');
  if (!Number.isInteger(o.seed)) throw new Error('seed must be an integer');
  // Let the workload reject its own options now.
  workload.generator({ concurrency: o.concurrency, ...o.workloadOptions }, createRng(o.seed));
  workload.checkers({ concurrency: o.concurrency, ...o.workloadOptions });
}

export async function run(o: RunOptions): Promise<RunResult> {
  validateRunOptions(o);
  const target = targetByName(o.target);
  const topology = o.topology ?? target.defaultTopology;
  const workload = workloadByName(o.workload);
  const workloadOptions = { concurrency: o.concurrency, ...o.workloadOptions };
  const runId = o.runId ?? newRunId();
  const dir = resolve(o.reportsDir ?? 'reports', runId);
  const historyPath = join(dir, 'history.jsonl');
  mkdirSync(join(dir, 'nodes'), { recursive: true });
  const emit = o.onEvent ?? (() => {});
  const startedAt = new Date();
  const meta: Record<string, unknown> = {
    runId,
    target: o.target,
    topology,
    nodes: o.nodes ?? target.defaultNodes(topology),
    workload: o.workload,
    options: {
      concurrency: o.concurrency,
      rate: o.rate ?? 0,
      timeLimitS: o.timeLimitS,
      opTimeoutMs: o.opTimeoutMs,
      targetOptions: o.targetOptions ?? {},
      workloadOptions: o.workloadOptions ?? {},
      clientOptions: o.clientOptions ?? {},
      subnet: o.subnet ?? null,
      image: o.image ?? null,
      nemesis: o.nemesis ? o.nemesis.describe() : null,
    },
    seed: o.seed,
    versions: { faultline: faultlineVersion(), node: process.version },
    start: startedAt.toISOString(),
    end: null,
    status: 'starting',
  };
  const writeMeta = () => writeFileSync(join(dir, 'run.json'), `${JSON.stringify(meta, null, 2)}\n`);
  writeMeta();

  const counts: Counts = { invoked: 0, ok: 0, fail: 0, info: 0 };
  const t0 = performance.now();
  // ops/s over the workload phase only (from its start to its end).
  let workStart: number | undefined;
  let workEnd: number | undefined;
  const report = (phase: Progress['phase'], c: Counts = counts) => {
    const now = performance.now();
    const elapsedS = (now - t0) / 1000;
    const workS = workStart === undefined ? 0 : ((workEnd ?? now) - workStart) / 1000;
    o.onProgress?.({ elapsedS, opsPerS: workS > 0 ? (c.ok + c.fail + c.info) / workS : 0, counts: c, phase });
  };
  report('starting');

  let cluster: Cluster | undefined;
  let interrupted = false;
  const onAbort = () => {
    interrupted = true;
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const writer = createJsonlWriter(historyPath);
  const recorder = new Recorder(writer);
  let progressTimer: NodeJS.Timeout | undefined;
  try {
    if (o.signal?.aborted) throw new RunInterrupted();
    cluster = await createDockerCluster({
      target,
      targetOptions: {
        runId,
        topology,
        ...(o.nodes ? { nodes: o.nodes } : {}),
        ...(o.nemesis ? { faults: o.nemesis.families } : {}),
        ...o.targetOptions,
      },
      subnet: o.subnet,
      image: o.image,
      logDir: join(dir, 'nodes'),
      onEvent: emit,
    });
    meta.cluster = cluster.info;
    meta.faults = cluster.faults;
    meta.versions = { ...(meta.versions as object), ...((cluster.info.versions as object) ?? {}) };
    meta.status = 'running';
    writeMeta();
    if (o.signal?.aborted) throw new RunInterrupted();
    o.nemesis?.prepare(cluster);

    const clients: Client[] = [];
    const open = clientFor(o.target);
    for (let w = 0; w < o.concurrency; w++) {
      clients.push(await open(cluster, w, { timeoutMs: o.opTimeoutMs, ...o.clientOptions }));
    }

    const rng = createRng(o.seed);
    const generator = workload.generator(workloadOptions, rng.fork());
    const nemesisRng = rng.fork();
    // Forked after the others, so the generator's and the nemesis' streams stay as they were.
    const backoffRng = rng.fork();
    const backoffs = clients.map(() => createBackoff(backoffRng.fork()));
    const phaseEnd = new AbortController();
    const deadline = performance.now() + o.timeLimitS * 1000;
    const stopTimer = setTimeout(() => phaseEnd.abort(), o.timeLimitS * 1000);
    const stopOnSignal = () => phaseEnd.abort();
    o.signal?.addEventListener('abort', stopOnSignal, { once: true });
    if (o.signal?.aborted) phaseEnd.abort();

    const interval = o.rate && o.rate > 0 ? 1000 / o.rate : 0;
    let nextSlot = performance.now();
    workStart = performance.now();
    // The timer reports whichever phase the run is in (a long recovery is not "running").
    let phase: Progress['phase'] = 'running';
    const enter = (next: Progress['phase']) => {
      phase = next;
      report(phase, recorder.counts);
    };
    phaseEnd.signal.addEventListener('abort', () => enter('draining'), { once: true });
    progressTimer = setInterval(() => report(phase, recorder.counts), 1000);
    progressTimer.unref();
    emit(
      `running ${o.workload} on ${o.target} for ${o.timeLimitS} s with ${o.concurrency} workers (seed ${o.seed})`,
    );

    const pids: Process[] = clients.map((_, w) => w);
    const worker = async (w: number) => {
      const client = clients[w]!;
      while (!phaseEnd.signal.aborted && performance.now() < deadline) {
        if (interval > 0) {
          const now = performance.now();
          nextSlot = Math.max(nextSlot + interval, now);
          if (nextSlot > now) await sleep(nextSlot - now, phaseEnd.signal);
          if (phaseEnd.signal.aborted) break;
        }
        const op = generator.next(w);
        if (!op) break;
        const completion = await invoke(recorder, client, pids[w]!, op, o.opTimeoutMs);
        if (completion.type === 'info') pids[w] = (pids[w] as number) + o.concurrency;
        // The database did not answer: wait a little before the next try (see backoff.ts).
        const pause = backoffs[w]!.after(completion);
        if (pause > 0) await sleep(pause, phaseEnd.signal);
      }
    };
    const nemesisDone = o.nemesis?.run({ cluster, recorder, rng: nemesisRng, signal: phaseEnd.signal });
    // A nemesis that fails ends the workload phase now; awaiting it below fails the run.
    nemesisDone?.catch(() => phaseEnd.abort());
    await Promise.all(clients.map((_, w) => worker(w)));
    workEnd = performance.now();
    phaseEnd.abort();
    clearTimeout(stopTimer);
    o.signal?.removeEventListener('abort', stopOnSignal);
    if (nemesisDone) enter('healing');
    await nemesisDone;
    if (o.nemesis && !o.signal?.aborted) {
      // Healed: a quiet recovery period, then the final reads (what was lost shows here).
      emit(`recovering for ${o.nemesis.recoveryS} s, then final reads`);
      enter('recovering');
      await sleep(o.nemesis.recoveryS * 1000, o.signal);
      enter('final reads');
      const finals = generator.final?.() ?? [];
      await Promise.all(
        clients.map(async (client, w) => {
          for (let i = w; i < finals.length && !o.signal?.aborted; i += clients.length) {
            const completion = await invoke(recorder, client, pids[w]!, finals[i]!, o.opTimeoutMs);
            if (completion.type === 'info') pids[w] = (pids[w] as number) + o.concurrency;
          }
        }),
      );
    }
    await Promise.allSettled(clients.map((c) => c.close()));
  } catch (e) {
    if (!(e instanceof RunInterrupted)) {
      meta.status = 'crashed';
      meta.error = (e as Error).message;
      throw e;
    }
  } finally {
    clearInterval(progressTimer);
    Object.assign(counts, recorder.counts);
    await writer.close();
    report('teardown');
    if (cluster && o.nemesis) {
      // The nemesis heals on its way out; this covers a run that died around it.
      await cluster.healAll().catch(() => {});
    }
    if (cluster) {
      emit('tearing down');
      await cluster.destroy();
    }
    o.signal?.removeEventListener('abort', onAbort);
    meta.end = new Date().toISOString();
    meta.counts = counts;
    if (o.nemesis) (meta.options as Record<string, unknown>).nemesis = o.nemesis.describe();
    if (workStart !== undefined) {
      const workS = ((workEnd ?? performance.now()) - workStart) / 1000;
      meta.workloadSeconds = Number(workS.toFixed(3));
      meta.opsPerSecond = Math.round((counts.ok + counts.fail + counts.info) / workS);
    }
    if (meta.status !== 'crashed') meta.status = interrupted ? 'interrupted' : 'completed';
    writeMeta();
  }

  const result: RunResult = {
    runId,
    dir,
    historyPath,
    valid: 'unknown',
    interrupted,
    counts,
    opsPerSecond: (meta.opsPerSecond as number | undefined) ?? 0,
  };
  if (o.check === false) return result;
  report('checking');
  const history = await readHistoryFile(historyPath, { format: 'jsonl' });
  const results: Record<string, CheckResult> = {};
  for (const { checker, options } of workload.checkers(workloadOptions)) {
    try {
      results[checker.name] = await checker.check(history, options);
    } catch (e) {
      results[checker.name] = { valid: 'unknown', error: (e as Error).message };
    }
  }
  result.results = results;
  result.valid = worstVerdict(Object.values(results).map((r) => r.valid));
  writeFileSync(
    join(dir, 'results.json'),
    `${JSON.stringify({ valid: result.valid, interrupted, counts, results, ...(o.nemesis ? { nemesis: nemesisIntervals(history.ops) } : {}) }, null, 2)}\n`,
  );
  try {
    await writeRunReport(dir);
    writeRunsIndex(dirname(dir));
  } catch (e) {
    // The verdict stands without the page; say why the page is missing.
    process.stderr.write(`faultline: could not write the HTML report: ${(e as Error).message}\n`);
  }
  report('done');
  return result;
}

class RunInterrupted extends Error {}

/** One operation: record the invocation, call the client (bounded in time), record the completion. */
export async function invoke(
  recorder: Recorder,
  client: Client,
  process: Process,
  op: ClientOp,
  timeoutMs: number,
): Promise<Completion> {
  const node = client.node;
  recorder.record({
    process,
    type: 'invoke',
    f: op.f,
    key: op.key,
    value: op.f === 'read' ? null : op.value,
    node,
  });
  let timer: NodeJS.Timeout | undefined;
  let completion: Completion;
  try {
    if (client.boundedByTimeout) completion = await client.invoke(op);
    else {
      // A client that does not bound its own calls gets a hard limit around each.
      const hardLimit = new Promise<Completion>((res) => {
        timer = setTimeout(() => res({ type: 'info', value: null, error: 'timeout' }), timeoutMs + 2000);
      });
      completion = await Promise.race([client.invoke(op), hardLimit]);
    }
  } catch (e) {
    completion = {
      type: op.f === 'read' ? 'fail' : 'info',
      value: null,
      error: String((e as Error).message),
    };
  } finally {
    clearTimeout(timer);
  }
  recorder.record({
    process,
    type: completion.type,
    f: op.f,
    key: op.key,
    value: completion.type === 'ok' ? completion.value : op.f === 'read' ? null : op.value,
    ...(completion.error ? { error: completion.error } : {}),
    node: client.node || node,
  });
  return completion;
}
