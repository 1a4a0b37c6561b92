import type { History, Key } from '../history/op.js';
import type { Call } from '../history/operations.js';

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
 * An optional ability: judging client calls already split by key, with no events behind them
 * (history/calls.ts reads them from a file at a fraction of the cost of its events). For a
 * verdict: evidence a person reads (times, nodes, witnesses) needs the events.
 */
export interface CallsCheckable {
  checkCalls(groups: ReadonlyMap<Key | undefined, Call[]>, options: CheckOptions): Promise<CheckResult>;
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
