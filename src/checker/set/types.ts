/** The set checker's options and result: what the report and the workloads read. */
import type { Key, Value } from '../../history/op.js';
import type { Quantiles } from '../sweep.js';
import type { CheckResult, Verdict } from '../types.js';

export interface SetOptions {
  /** Operation names (default 'add' and 'read'). */
  add?: string;
  read?: string;
  /** Also count stale elements as errors (a linearizable set shows an add at once). */
  linearizable?: boolean;
  /** How many elements to describe per outcome (default 20). */
  maxEvidence?: number;
}

export type SetOutcome = 'ok' | 'stale' | 'lost' | 'never-read' | 'unexpected';

export interface SetElementEvidence {
  key: Key | undefined;
  element: Value;
  outcome: SetOutcome;
  /** Event indexes: the add's invocation and acknowledgement (null when none). */
  addIndex: number | null;
  ackIndex: number | null;
  /** The event at which the element became known (its ack, or a read's completion). */
  knownIndex: number | null;
  /** The completion of the last read that showed it (null when none did). */
  lastSeenIndex: number | null;
  /** The invocation of the last read that began after it was known and missed it. */
  lastMissedIndex: number | null;
  /** Lost: how many reads, from the last one that showed it on, missed it. */
  readsMissing?: number;
  /** Stale: milliseconds from known to the start of the first read after which every read shows it. */
  staleMs?: number;
}

/** The tallies and evidence of a set check. */
export interface SetCounts {
  reads: number;
  /** Reads whose value was not an array (left out). */
  malformedReads: number;
  attempted: number;
  acknowledged: number;
  ok: number;
  stale: number;
  lost: number;
  neverRead: number;
  unexpected: number;
  /** Adds neither acknowledged nor ever seen (info or still open): nothing to judge. */
  unknown: number;
  lostElements: SetElementEvidence[];
  staleElements: SetElementEvidence[];
  unexpectedElements: SetElementEvidence[];
}

export interface SetResult extends CheckResult, SetCounts {
  checker: 'set';
  valid: Verdict;
  summary: string;
  latencyMs: {
    /** From an add's invocation to the end of the first read that showed its element. */
    firstSeen: Quantiles | null;
    /** Stale elements' staleMs. */
    stale: Quantiles | null;
  };
}
