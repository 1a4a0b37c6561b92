/**
 * Judging a finished run: the workload's checkers read the history file (the only thing that
 * crosses from running to judging, so `faultline check` on it gives the same verdict), then
 * results.json, the run's report and the runs index.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type CheckResult, type Verdict, worstVerdict } from '../checker/types.js';
import { readHistoryFile } from '../history/read.js';
import { nemesisIntervals } from '../nemesis/record.js';
import { writeRunReport, writeRunsIndex } from '../report/write.js';
import type { Resolved } from './preflight.js';
import type { Counts } from './recorder.js';
import type { FullRunOptions } from './run.js';

export async function checkRun(
  dir: string,
  historyPath: string,
  o: FullRunOptions,
  resolved: Resolved,
  run: { interrupted: boolean; counts: Counts },
): Promise<{ valid: Verdict; results: Record<string, CheckResult> }> {
  const history = await readHistoryFile(historyPath, { format: 'jsonl' });
  const results: Record<string, CheckResult> = {};
  for (const { checker, options } of o.workload.checkers(resolved.workloadOptions, {
    concurrency: o.concurrency,
  })) {
    try {
      results[checker.name] = await checker.check(history, options);
    } catch (e) {
      results[checker.name] = { valid: 'unknown', error: (e as Error).message };
    }
  }
  const valid = worstVerdict(Object.values(results).map((r) => r.valid));
  const nemesis = o.nemesis ? { nemesis: nemesisIntervals(history.ops) } : {};
  const body = { valid, interrupted: run.interrupted, counts: run.counts, results, ...nemesis };
  writeFileSync(join(dir, 'results.json'), `${JSON.stringify(body, null, 2)}\n`);
  try {
    await writeRunReport(dir);
    writeRunsIndex(dirname(dir));
  } catch (e) {
    // The verdict stands without the page; say why the page is missing.
    process.stderr.write(`faultline: could not write the HTML report: ${(e as Error).message}\n`);
  }
  return { valid, results };
}
