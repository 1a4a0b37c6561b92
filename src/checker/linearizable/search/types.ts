/** The search's vocabulary: a sub-history as typed arrays, its limits, and its outcome. */
import type { MemoBudget } from '../memo.js';
import type { Kernel } from '../model.js';

/** The decision procedures. */
export type Algorithm = 'wgl' | 'unique-writes';

export interface Problem {
  /** Number of operations, sorted by call time. */
  n: number;
  call: Float64Array;
  /** Return time; +Infinity for info operations. */
  ret: Float64Array;
  /** 1 for info operations (may take effect any time after their call, or never). */
  info: Uint8Array;
  /** For an info operation, the previous identical info operation, or -1. */
  twin: Int32Array;
  /** 1 for operations that never change the state where they are legal (reads). */
  readOnly: Uint8Array;
  kernel: Kernel;
}

export interface SearchLimits {
  /** performance.now() value past which the search gives up; Infinity for none. */
  deadline: number;
  /** Memory for memoization, shared by every search that holds a table at the same time. */
  budget: MemoBudget;
  /** Sub-histories longer than this start with a fingerprint memo (default FINGERPRINT_ABOVE). */
  fingerprintAbove?: number;
  /** False: always the WGL search, even where the unique-writes algorithm applies. */
  uniqueWrites?: boolean;
}

export interface PartialLinearization {
  ops: number[];
  /** The model state after each step. */
  states: number[];
}

export interface SearchOutcome {
  valid: boolean | 'unknown';
  reason?: 'time-limit' | 'memory-limit';
  /** Configurations visited. */
  configs: number;
  /**
   * What decided: 'wgl', the general search, or 'unique-writes', the polynomial algorithm for
   * read/write registers whose written values are unique.
   */
  algorithm?: Algorithm;
  /** For valid outcomes: a linearization of the ok operations (with the info ones used). */
  linearization?: PartialLinearization;
  /** For invalid or unknown outcomes: the longest partial linearizations found (up to 3). */
  longest: PartialLinearization[];
  /** The operation whose return could not be reached at the deepest configuration. */
  stuck?: number;
  /** The operations that were candidates at that configuration (concurrent with `stuck`). */
  concurrent?: number[];
}

export interface Search {
  /** Runs at most `steps` steps; the outcome when finished, undefined when paused. */
  run(steps: number): SearchOutcome | undefined;
  /** Releases the memoization table (done automatically when the search finishes). */
  dispose(): void;
}
