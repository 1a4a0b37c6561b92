/**
 * What a cell came to, and what a campaign came to. A cell is valid, invalid or unknown (the
 * database's verdict), an error (harness trouble: the cluster never became ready, a client
 * never connected, the run crashed, or a fault the runtime refused mid-run: not a database
 * bug), interrupted (Ctrl-C; --resume runs it again) or not run (stopped before it started).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckResult, Verdict } from '../checker/types.js';
import type { Counts } from '../runner/recorder.js';
import type { CellLabels } from './matrix.js';

export type CellStatus = 'valid' | 'invalid' | 'unknown' | 'error' | 'interrupted' | 'not-run';

export type HarnessTrouble = 'not-ready' | 'no-connection' | 'no-operations' | 'crashed' | 'refused';

export interface CellOutcome {
  id: string;
  labels: CellLabels;
  status: CellStatus;
  exitCode: number;
  /** One line: the anomaly, the harness trouble, or why the cell did not run. */
  summary: string;
  /** The run's folder, relative to the campaign's. */
  dir: string;
  durationS?: number;
  attempts: number;
  trouble?: HarnessTrouble;
  counts?: Counts;
  /** Found finished by --resume (not run this time). */
  resumed?: boolean;
  finishedAt?: string;
}

/** Statuses a finished cell keeps: --resume skips these. */
export const FINISHED: readonly CellStatus[] = ['valid', 'invalid', 'unknown'];

export const EXIT_OF: Record<CellStatus, number> = {
  valid: 0,
  invalid: 1,
  unknown: 2,
  interrupted: 2,
  error: 255,
  'not-run': 0,
};

/**
 * The worst exit code: harness trouble (255, or 254 for a refused fault) over invalid (1) over
 * unknown (2) over valid (0), as the verdicts rank (worstVerdict: false over unknown). A
 * campaign whose harness failed cannot vouch for the cells it did not check.
 */
export function worstExit(codes: Iterable<number>): number {
  const rank = (c: number) => (c === 255 ? 5 : c === 254 ? 4 : c === 1 ? 3 : c === 2 ? 2 : c === 0 ? 0 : 1);
  let worst = 0;
  for (const c of codes) if (rank(c) > rank(worst)) worst = c;
  return worst;
}

export const statusOf = (v: Verdict): CellStatus =>
  v === true ? 'valid' : v === false ? 'invalid' : 'unknown';

/** The one line a verdict is explained by: the first checker that gave it, with its summary. */
export function verdictLine(valid: Verdict, results: Record<string, CheckResult> | undefined): string {
  const entries = Object.entries(results ?? {});
  const culprit = entries.find(([, r]) => r.valid === valid) ?? entries[0];
  if (!culprit) return valid === true ? 'valid' : valid === false ? 'invalid' : 'unknown';
  const [name, r] = culprit;
  const text =
    typeof r.summary === 'string' ? r.summary : typeof r.error === 'string' ? r.error : String(r.valid);
  return `${name}: ${text}`.replace(/\s+/g, ' ').slice(0, 400).trim();
}

export const OUTCOME_FILE = 'outcome.json';

export function readOutcome(campaignDir: string, id: string): CellOutcome | undefined {
  const path = join(campaignDir, id, OUTCOME_FILE);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as CellOutcome;
  } catch {
    return undefined;
  }
}

export interface CampaignCounts {
  cells: number;
  valid: number;
  invalid: number;
  unknown: number;
  error: number;
  interrupted: number;
  notRun: number;
  excluded: number;
}

export function countOutcomes(outcomes: readonly CellOutcome[], excluded: number): CampaignCounts {
  const n = (s: CellStatus) => outcomes.filter((o) => o.status === s).length;
  return {
    cells: outcomes.length,
    valid: n('valid'),
    invalid: n('invalid'),
    unknown: n('unknown'),
    error: n('error'),
    interrupted: n('interrupted'),
    notRun: n('not-run'),
    excluded,
  };
}
