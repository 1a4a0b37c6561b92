/**
 * Runs the searches of many sub-histories interleaved, with doubling step budgets, so that an
 * easy refutation on one key is found before a hard key is finished (what Porcupine gets from
 * one goroutine per partition). Stops at the first key found not linearizable unless asked not to.
 */
import { createSearch, type Problem, type SearchLimits, type SearchOutcome } from './search.js';

export interface ScheduleOptions {
  limits: SearchLimits;
  /** Keep going after a key is found not linearizable. */
  allKeys: boolean;
  /** Called as each key finishes, with its index and the time spent on it. */
  onDone?: (index: number, outcome: SearchOutcome, ms: number) => void;
}

const FIRST_BUDGET = 1 << 14;

/** Outcomes by index; undefined for keys left unchecked after a refutation. */
export function runInterleaved(
  problems: readonly Problem[],
  options: ScheduleOptions,
): (SearchOutcome | undefined)[] {
  const outcomes: (SearchOutcome | undefined)[] = new Array(problems.length).fill(undefined);
  const spent = new Float64Array(problems.length);
  let active: number[] = problems.map((_, i) => i);
  const searches = new Map<number, ReturnType<typeof createSearch>>();
  let budget = FIRST_BUDGET;
  while (active.length > 0) {
    const still: number[] = [];
    for (let j = 0; j < active.length; j++) {
      const i = active[j]!;
      const t0 = performance.now();
      let search = searches.get(i);
      if (!search) {
        search = createSearch(problems[i]!, options.limits);
        searches.set(i, search);
      }
      const outcome = search.run(budget);
      spent[i]! += performance.now() - t0;
      if (outcome === undefined) {
        still.push(i);
        continue;
      }
      searches.delete(i);
      outcomes[i] = outcome;
      options.onDone?.(i, outcome, spent[i]!);
      if (outcome.valid === false && !options.allKeys) {
        for (const s of searches.values()) s.dispose();
        return outcomes;
      }
    }
    active = still;
    budget *= 2;
  }
  return outcomes;
}
