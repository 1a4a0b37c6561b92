/**
 * Re-checking stored runs with today's checkers (history only, no cluster): for each run,
 * the workload named in run.json gives its checkers (workloads/index.ts) with the options the
 * run used; a run the node-log checker had judged is judged again from its stored node logs.
 * Each verdict is compared with results.json; nothing is rewritten.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { WORKLOADS } from '../../workloads/index.js';
import { type CheckResult, type Verdict, worstVerdict } from '../checker/types.js';
import { InputError } from '../history/errors.js';
import { readHistoryFile } from '../history/read.js';
import { TARGETS } from '../targets/index.js';
import { checkNodeLogs, logPatternsFor } from './nodelogs.js';

export interface RecheckResult {
  dir: string;
  workload: string;
  /** The verdict results.json holds (undefined: the run was never checked). */
  before?: Verdict;
  after: Verdict;
  changed: boolean;
  /** Checkers whose own verdict changed: name → [before, after]. */
  checkers: Record<string, [Verdict | undefined, Verdict]>;
  results: Record<string, CheckResult>;
}

const isRun = (dir: string) => existsSync(join(dir, 'history.jsonl')) && existsSync(join(dir, 'run.json'));

/** Run folders under each path: the path itself, or runs and campaigns (their cells) inside it. */
export function findRuns(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (isRun(dir)) {
      out.push(dir);
      return;
    }
    if (depth === 0) return;
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith('.')) continue; // .attempts: earlier tries of a cell
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p, depth - 1);
    }
  };
  for (const p of paths) {
    if (!existsSync(p) || !statSync(p).isDirectory()) throw new InputError(p, undefined, 'not a directory');
    const before = out.length;
    walk(p, 2);
    if (out.length === before)
      throw new InputError(p, undefined, 'no run here (a run folder has history.jsonl and run.json)');
  }
  return out;
}

const readJson = (path: string): Record<string, unknown> => {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(path, undefined, `not valid JSON (${(e as Error).message})`);
  }
};

export async function recheckRun(dir: string): Promise<RecheckResult> {
  const meta = readJson(join(dir, 'run.json'));
  const stored = existsSync(join(dir, 'results.json')) ? readJson(join(dir, 'results.json')) : undefined;
  const name = String(meta.workload ?? '');
  const workload = Object.hasOwn(WORKLOADS, name) ? WORKLOADS[name] : undefined;
  if (!workload)
    throw new InputError(
      join(dir, 'run.json'),
      undefined,
      `workload "${name}" is not one faultline knows (known: ${Object.keys(WORKLOADS).join(', ')})`,
    );
  const options = (meta.options ?? {}) as Record<string, unknown>;
  const parsed = workload.options.safeParse(options.workloadOptions ?? {});
  if (!parsed.success)
    throw new InputError(
      join(dir, 'run.json'),
      undefined,
      `workload options no longer accepted: ${parsed.error.issues[0]?.message}`,
    );
  const history = await readHistoryFile(join(dir, 'history.jsonl'), { format: 'jsonl' });
  const results: Record<string, CheckResult> = {};
  const concurrency = typeof options.concurrency === 'number' ? options.concurrency : 10;
  for (const { checker, options: co } of workload.checkers(parsed.data, { concurrency })) {
    try {
      results[checker.name] = await checker.check(history, co);
    } catch (e) {
      results[checker.name] = { valid: 'unknown', error: (e as Error).message };
    }
  }
  const storedResults = (stored?.results ?? {}) as Record<string, CheckResult>;
  const logs = storedResults['node-logs'];
  if (logs) {
    const target =
      typeof meta.target === 'string' && Object.hasOwn(TARGETS, meta.target)
        ? TARGETS[meta.target]
        : undefined;
    const storedPatterns = Array.isArray(logs.patterns) ? (logs.patterns as string[]) : [];
    results['node-logs'] = await checkNodeLogs(dir, logPatternsFor(target?.logPatterns, storedPatterns));
  }
  const after = worstVerdict(Object.values(results).map((r) => r.valid));
  const before = stored?.valid as Verdict | undefined;
  const checkers: RecheckResult['checkers'] = {};
  for (const [k, r] of Object.entries(results)) {
    const was = storedResults[k]?.valid;
    if (was !== r.valid) checkers[k] = [was, r.valid];
  }
  return {
    dir,
    workload: name,
    ...(before !== undefined ? { before } : {}),
    after,
    changed: before !== undefined && before !== after,
    checkers,
    results,
  };
}
