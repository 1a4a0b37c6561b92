/**
 * Runs the searches of many sub-histories interleaved, with doubling step budgets, so that an
 * easy refutation on one key is found before a hard key is finished (what Porcupine gets from
 * one goroutine per partition). Stops at the first key found not linearizable unless asked not to.
 */
import {
  createSearch,
  type Problem,
  type Search,
  type SearchLimits,
  type SearchOutcome,
} from './search/index.js';

export interface ScheduleOptions {
  limits: SearchLimits;
  /** Keep going after a key is found not linearizable. */
  allKeys: boolean;
  /** Called as each key finishes, with its index and the time spent on it. */
  onDone?: (index: number, outcome: SearchOutcome, ms: number) => void;
  /** Polled between slices: true to stop now (another thread found a refutation). */
  cancelled?: () => boolean;
  /** Steps of the first slice of each key (doubling afterwards); default 2048. */
  sliceSteps?: number;
}

const FIRST_BUDGET = 1 << 11;

export class Interleaver {
  readonly outcomes: (SearchOutcome | undefined)[];
  private readonly spent: Float64Array;
  private active: number[];
  private readonly searches = new Map<number, Search>();
  private budget: number;
  private cursor = 0;
  private next: number[] = [];
  /** True once a key was refuted (and allKeys is off) or the run was cancelled. */
  stopped = false;

  constructor(
    private readonly problems: readonly Problem[],
    private readonly options: ScheduleOptions,
  ) {
    this.outcomes = new Array(problems.length).fill(undefined);
    this.spent = new Float64Array(problems.length);
    this.active = problems.map((_, i) => i);
    this.budget = options.sliceSteps ?? FIRST_BUDGET;
  }

  get done() {
    return this.stopped || (this.active.length === 0 && this.next.length === 0);
  }

  /** Keys that ran out of at least one step budget and are still running: the hard ones. */
  hard(): number[] {
    return [...this.active.slice(this.cursor).filter((i) => this.searches.has(i)), ...this.next];
  }

  /** Takes keys away from this interleaver (another thread checks them). */
  giveAway(indices: readonly number[]) {
    const gone = new Set(indices);
    for (const i of indices) {
      this.searches.get(i)?.dispose();
      this.searches.delete(i);
    }
    this.active = this.active.slice(this.cursor).filter((i) => !gone.has(i));
    this.cursor = 0;
    this.next = this.next.filter((i) => !gone.has(i));
  }

  /** Runs slices until every key is done, or `pause()` says to hand control back. */
  run(pause: () => boolean = () => false): void {
    while (!this.done) {
      if (this.cursor >= this.active.length) {
        this.active = this.next;
        this.next = [];
        this.cursor = 0;
        this.budget *= 2;
        continue;
      }
      if (this.options.cancelled?.()) {
        this.stop();
        return;
      }
      const i = this.active[this.cursor++]!;
      const t0 = performance.now();
      let search = this.searches.get(i);
      if (!search) {
        search = createSearch(this.problems[i]!, this.options.limits);
        this.searches.set(i, search);
      }
      const outcome = search.run(this.budget);
      this.spent[i]! += performance.now() - t0;
      if (outcome === undefined) this.next.push(i);
      else {
        this.searches.delete(i);
        this.outcomes[i] = outcome;
        this.options.onDone?.(i, outcome, this.spent[i]!);
        if (outcome.valid === false && !this.options.allKeys) {
          this.stop();
          return;
        }
      }
      if (pause()) return;
    }
  }

  stop() {
    this.stopped = true;
    for (const s of this.searches.values()) s.dispose();
    this.searches.clear();
  }
}

/** Outcomes by index; undefined for keys left unchecked after a refutation. */
export function runInterleaved(
  problems: readonly Problem[],
  options: ScheduleOptions,
): (SearchOutcome | undefined)[] {
  const il = new Interleaver(problems, options);
  il.run();
  return il.outcomes;
}
