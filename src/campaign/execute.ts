/**
 * Running a campaign: every cell (of this shard) is checked before any starts, then run as a
 * normal run under <reports>/<campaign>/<cell>/, `parallel` at a time. A cell's outcome is
 * written beside its run (outcome.json) the moment it ends, so --resume after a Ctrl-C or a
 * crash runs only the cells without one. Harness trouble is retried `retries` times (the failed
 * attempt kept under .attempts/); an invalid verdict never is. At the end: summary.json,
 * junit.xml and the campaign's matrix page.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CheckResult, Verdict } from '../checker/types.js';
import { worstVerdict } from '../checker/types.js';
import { ConfigError } from '../config/load.js';
import { resolveConfig } from '../config/resolve.js';
import { checkPlan } from '../nemesis/plan.js';
import { writeRunReport, writeRunsIndex } from '../report/write.js';
import { InvalidRunError } from '../runner/preflight.js';
import { type Progress, type RunOptions, type RunResult, run, validateRunOptions } from '../runner/run.js';
import { UnsupportedFaultError } from '../runtime/cluster.js';
import type { Runtime, RuntimeProbe } from '../runtime/runtime.js';
import { writeJunit } from './junit.js';
import { type Cell, type Matrix, shardCells } from './matrix.js';
import { checkNodeLogs, logPatternsFor } from './nodelogs.js';
import {
  type CampaignCounts,
  type CellOutcome,
  countOutcomes,
  EXIT_OF,
  FINISHED,
  type HarnessTrouble,
  OUTCOME_FILE,
  readOutcome,
  statusOf,
  verdictLine,
  worstExit,
} from './outcome.js';

export interface CampaignRunOptions {
  parallel?: number;
  shard?: { index: number; count: number };
  resume?: boolean;
  failFast?: boolean;
  /** Seconds after which no new cell starts. */
  timeBudgetS?: number;
  /** Attempts after the first for a cell with harness trouble. */
  retries?: number;
  /** Where the campaign's folder goes (default: the campaign's `reports`, else "reports"). */
  reportsDir?: string;
  /** Aborting stops starting cells and stops the running ones (they tear down and are checked). */
  signal?: AbortSignal;
  onCellStart?(cell: Cell, attempt: number): void;
  onCellProgress?(cell: Cell, progress: Progress): void;
  onCellEvent?(cell: Cell, message: string): void;
  onCellEnd?(outcome: CellOutcome, done: number, total: number): void;
  /** Once the cells are checked: how many this shard has, how many --resume found finished. */
  onPlanned?(plan: { total: number; resumed: number }): void;
  /** Runs one cell (tests swap in their own runtime); default: `run()`. */
  runCell?: (options: RunOptions) => Promise<RunResult>;
  /** Called with every runtime the campaign makes (the CLI stops them all on a second Ctrl-C). */
  onRuntime?(runtime: Runtime): void;
}

export interface CampaignSummary {
  campaign: string;
  description?: string;
  dir: string;
  shard: { index: number; count: number } | null;
  start: string;
  end: string;
  durationS: number;
  /** Why cells were left unstarted: null when every cell ran. */
  stopped: 'interrupted' | 'time-budget' | 'fail-fast' | null;
  exitCode: number;
  counts: CampaignCounts;
  cells: CellOutcome[];
  excluded: Array<{ id: string; reason?: string }>;
}

export class RuntimeUnavailableError extends Error {
  override name = 'RuntimeUnavailableError';
}

type Prepared = { cell: Cell; options: ReturnType<typeof resolveConfig> };

/** Everything judged before a cell starts: configs, nemesis plans, runtimes and their faults. */
async function preflight(cells: readonly Cell[], onRuntime?: (r: Runtime) => void): Promise<Prepared[]> {
  const probes = new Map<string, Promise<RuntimeProbe>>();
  const out: Prepared[] = [];
  for (const cell of cells) {
    const hint = `(exclude it: { target: '${cell.labels.target}', nemesis: '${cell.labels.nemesis}', runtime: '${cell.labels.runtime}' })`;
    let options: ReturnType<typeof resolveConfig>;
    try {
      options = resolveConfig(cell.config, `cell ${cell.id}`);
      const resolved = validateRunOptions(options);
      const plan = options.nemesis?.plan;
      if (plan) checkPlan(plan, resolved.nodes, options.timeLimitS);
    } catch (e) {
      const message = (e as Error).message;
      if (e instanceof ConfigError) throw e;
      throw new ConfigError(`cell ${cell.id}: ${message} ${hint}`);
    }
    onRuntime?.(options.runtime);
    const key = cell.labels.runtime;
    if (!probes.has(key)) probes.set(key, options.runtime.probe());
    const probe = await probes.get(key)!;
    if (!probe.available.supported)
      throw new RuntimeUnavailableError(`runtime ${options.runtime.name}: ${probe.available.reason}`);
    for (const family of options.nemesis?.needs ?? []) {
      const support = probe.faults[family as keyof RuntimeProbe['faults']];
      if (support && !support.supported)
        throw new ConfigError(
          `cell ${cell.id}: fault "${family}" is not supported: ${options.runtime.name}: ${support.reason} ${hint}`,
        );
    }
    out.push({ cell, options });
  }
  return out;
}

const readJson = (path: string): Record<string, unknown> | undefined => {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
};

/**
 * The node-log checker's result joins the run's results: results.json and the report are
 * rewritten with it (a panic in a node's log makes the run invalid).
 */
async function addNodeLogCheck(
  result: RunResult,
  patterns: readonly string[],
): Promise<{ valid: Verdict; results: Record<string, CheckResult> }> {
  const logs = await checkNodeLogs(result.dir, patterns);
  const path = join(result.dir, 'results.json');
  const body = readJson(path) ?? {};
  const results = {
    ...((body.results as Record<string, CheckResult>) ?? result.results ?? {}),
    'node-logs': logs,
  };
  const valid = worstVerdict(Object.values(results).map((r) => r.valid));
  writeFileSync(path, `${JSON.stringify({ ...body, valid, results }, null, 2)}\n`);
  if (logs.valid !== true) await writeRunReport(result.dir).catch(() => {});
  return { valid, results };
}

function troubleOf(dir: string, phase: string, e: unknown): { trouble: HarnessTrouble; summary: string } {
  const message = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').slice(0, 300);
  if (e instanceof UnsupportedFaultError || e instanceof InvalidRunError)
    return { trouble: 'refused', summary: `refused: ${message} (exclude the cell)` };
  const meta = readJson(join(dir, 'run.json'));
  if (!meta?.cluster) return { trouble: 'not-ready', summary: `cluster never became ready: ${message}` };
  if (phase === 'starting')
    return { trouble: 'no-connection', summary: `client never connected: ${message}` };
  return { trouble: 'crashed', summary: `crashed: ${message}` };
}

export async function runCampaign(m: Matrix, o: CampaignRunOptions = {}): Promise<CampaignSummary> {
  const t0 = Date.now();
  const start = new Date().toISOString();
  const cells = o.shard ? shardCells(m.cells, o.shard) : m.cells;
  const dir = resolve(o.reportsDir ?? m.reports, m.name);
  const prepared = await preflight(cells, o.onRuntime);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'campaign.json'),
    `${JSON.stringify(
      {
        campaign: m.name,
        ...(m.description ? { description: m.description } : {}),
        cells: m.cells.map((c) => ({ id: c.id, labels: c.labels })),
        excluded: m.excluded,
      },
      null,
      2,
    )}\n`,
  );

  const parallel = Math.max(1, o.parallel ?? m.defaults.parallel ?? 1);
  const retries = o.retries ?? m.defaults.retries ?? 0;
  const budgetS = o.timeBudgetS ?? m.defaults.timeBudget;
  const failFast = o.failFast ?? m.defaults.failFast ?? false;
  const runCell = o.runCell ?? run;

  const outcomes = new Map<string, CellOutcome>();
  const queue: Prepared[] = [];
  for (const p of prepared) {
    const previous = o.resume ? readOutcome(dir, p.cell.id) : undefined;
    if (previous && FINISHED.includes(previous.status))
      outcomes.set(p.cell.id, { ...previous, resumed: true });
    else queue.push(p);
  }
  let done = outcomes.size;
  o.onPlanned?.({ total: cells.length, resumed: done });
  let stopped: CampaignSummary['stopped'] = null;
  const shouldStop = (): CampaignSummary['stopped'] => {
    if (o.signal?.aborted) return 'interrupted';
    if (stopped) return stopped;
    if (budgetS !== undefined && (Date.now() - t0) / 1000 >= budgetS) return 'time-budget';
    return null;
  };

  const runOne = async ({ cell }: Prepared): Promise<CellOutcome> => {
    const cellDir = join(dir, cell.id);
    const started = Date.now();
    let outcome: CellOutcome | undefined;
    for (let attempt = 1; attempt <= 1 + retries; attempt++) {
      if (existsSync(cellDir)) rmSync(cellDir, { recursive: true, force: true });
      o.onCellStart?.(cell, attempt);
      let phase = 'starting';
      const base = { id: cell.id, labels: cell.labels, dir: cell.id, attempts: attempt };
      try {
        // Resolved again per attempt: a nemesis object keeps its schedule.
        const options = resolveConfig(cell.config, `cell ${cell.id}`, (msg) => o.onCellEvent?.(cell, msg));
        o.onRuntime?.(options.runtime);
        const result = await runCell({
          ...options,
          reportsDir: dir,
          runId: cell.id,
          signal: o.signal,
          onProgress: (p) => {
            // The phase a crash happened in (teardown follows every crash).
            if (p.phase !== 'teardown') phase = p.phase;
            o.onCellProgress?.(cell, p);
          },
          onEvent: (msg) => o.onCellEvent?.(cell, msg),
          describe: { campaign: m.name, cell: cell.id, labels: cell.labels },
        });
        const total = result.counts.ok + result.counts.fail + result.counts.info;
        if (result.interrupted) {
          outcome = {
            ...base,
            status: 'interrupted',
            exitCode: EXIT_OF.interrupted,
            summary: `interrupted (${verdictLine(result.valid, result.results)})`,
            counts: result.counts,
          };
        } else if (options.check !== false && result.counts.ok === 0 && total > 0) {
          outcome = {
            ...base,
            status: 'error',
            exitCode: 255,
            trouble: 'no-operations',
            summary: `no operation succeeded (${total} tried): the clients never reached the database`,
            counts: result.counts,
          };
        } else {
          const { valid, results } =
            options.check === false
              ? { valid: result.valid, results: result.results }
              : await addNodeLogCheck(result, logPatternsFor(options.target.logPatterns, cell.logPatterns));
          const status = statusOf(valid);
          outcome = {
            ...base,
            status,
            exitCode: EXIT_OF[status],
            summary: verdictLine(valid, results),
            counts: result.counts,
          };
        }
      } catch (e) {
        if (o.signal?.aborted) {
          // Stopped by Ctrl-C on its way up: not harness trouble; --resume runs it again.
          const why = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').slice(0, 200);
          outcome = {
            ...base,
            status: 'interrupted',
            exitCode: EXIT_OF.interrupted,
            summary: `interrupted while ${phase}: ${why}`,
          };
          break;
        }
        const { trouble, summary } = troubleOf(cellDir, phase, e);
        outcome = { ...base, status: 'error', exitCode: trouble === 'refused' ? 254 : 255, trouble, summary };
        if (trouble !== 'refused' && attempt <= retries && !o.signal?.aborted) {
          // Kept for a look; the cell's own folder is the last attempt's.
          const keep = join(dir, '.attempts', `${cell.id}.${attempt}`);
          mkdirSync(join(dir, '.attempts'), { recursive: true });
          rmSync(keep, { recursive: true, force: true });
          if (existsSync(cellDir)) renameSync(cellDir, keep);
          o.onCellEvent?.(cell, `attempt ${attempt}: ${summary}; retrying`);
          continue;
        }
      }
      break;
    }
    const final: CellOutcome = {
      ...outcome!,
      durationS: Number(((Date.now() - started) / 1000).toFixed(1)),
      finishedAt: new Date().toISOString(),
    };
    mkdirSync(cellDir, { recursive: true });
    writeFileSync(join(cellDir, OUTCOME_FILE), `${JSON.stringify(final, null, 2)}\n`);
    return final;
  };

  const worker = async () => {
    for (;;) {
      const why = shouldStop();
      if (why) {
        stopped ??= why;
        return;
      }
      const next = queue.shift();
      if (!next) return;
      const outcome = await runOne(next);
      outcomes.set(outcome.id, outcome);
      done++;
      o.onCellEnd?.(outcome, done, cells.length);
      writeIndexes(dir);
      if (failFast && (outcome.status === 'invalid' || outcome.status === 'error')) stopped ??= 'fail-fast';
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, Math.max(1, queue.length)) }, worker));
  if (o.signal?.aborted) stopped = 'interrupted';

  const notRun =
    (why: string) =>
    (p: Prepared): CellOutcome => ({
      id: p.cell.id,
      labels: p.cell.labels,
      status: 'not-run',
      exitCode: 0,
      summary: `not run: ${why}`,
      dir: p.cell.id,
      attempts: 0,
    });
  const reason =
    stopped === 'interrupted' ? 'interrupted' : stopped === 'time-budget' ? 'time budget spent' : 'fail-fast';
  const ordered = prepared.map((p) => outcomes.get(p.cell.id) ?? notRun(reason)(p));
  const summary: CampaignSummary = {
    campaign: m.name,
    ...(m.description ? { description: m.description } : {}),
    dir,
    shard: o.shard ?? null,
    start,
    end: new Date().toISOString(),
    durationS: Number(((Date.now() - t0) / 1000).toFixed(1)),
    stopped,
    // Cells an interrupt kept from running prove nothing: at best unknown (2), never 0.
    exitCode: worstExit([...ordered.map((c) => c.exitCode), ...(stopped === 'interrupted' ? [2] : [])]),
    counts: countOutcomes(ordered, m.excluded.length),
    cells: ordered,
    excluded: m.excluded.map((e) => ({ id: e.id, ...(e.reason ? { reason: e.reason } : {}) })),
  };
  writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeJunit(summary, join(dir, 'junit.xml'));
  writeIndexes(dir);
  return summary;
}

/** The campaign's matrix page and the reports index above it; a page that fails costs nothing else. */
function writeIndexes(dir: string): void {
  try {
    writeRunsIndex(dir);
    writeRunsIndex(resolve(dir, '..'));
  } catch (e) {
    process.stderr.write(`faultline: could not write the campaign's index: ${(e as Error).message}\n`);
  }
}
