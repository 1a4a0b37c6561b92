import type { CallGroups } from '../history/calls.js';
import type { History } from '../history/op.js';

/** Jepsen's three-valued verdict: unknown when a checker ran out of time or memory. */
export type Verdict = true | false | 'unknown';

/** What every checker returns; each adds its own evidence beside `valid`. */
export interface CheckResult {
  valid: Verdict;
  /**
   * Which checker made this result ('linearizable', 'causal', 'stats', 'perf', ...): the report
   * renders each result by it (src/report/checkers.ts), falling back to a folded JSON view.
   */
  checker?: string;
  [evidence: string]: unknown;
}

export interface CheckOptions {
  /** Wall-clock budget in milliseconds; past it a checker answers 'unknown'. */
  timeLimitMs?: number;
  /** Checker-specific options (model name, initial state, ...). */
  [option: string]: unknown;
}

export interface Checker {
  name: string;
  check(history: History, options: CheckOptions): Promise<CheckResult>;
}

/**
 * An optional ability: judging a history's client calls split by key (history/calls.ts reads
 * them from a file at a fraction of the cost of its events), with the same result as `check`.
 */
export interface CallsCheckable {
  checkCalls(calls: CallGroups, options: CheckOptions): Promise<CheckResult>;
}

export const canCheckCalls = (c: Checker): c is Checker & CallsCheckable =>
  typeof (c as Partial<CallsCheckable>).checkCalls === 'function';

/** The worst of several verdicts: false over unknown over true. */
export function worstVerdict(verdicts: Iterable<Verdict>): Verdict {
  let worst: Verdict = true;
  for (const v of verdicts) {
    if (v === false) return false;
    if (v === 'unknown') worst = 'unknown';
  }
  return worst;
}

/** Jepsen's exit codes: 0 valid, 1 invalid, 2 unknown. */
export function exitCodeFor(valid: Verdict): 0 | 1 | 2 {
  return valid === true ? 0 : valid === false ? 1 : 2;
}
