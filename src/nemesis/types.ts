/**
 * The nemesis's vocabulary: fault families, which nodes a fault hits, the concrete faults a
 * schedule is made of, and what gets recorded. Everything here is plain data, so a schedule
 * can be generated, compared and printed without a cluster.
 */
import type { Grudge } from '../runtime/cluster.js';
import type { Fault } from './registry.js';

export type { Fault } from './registry.js';

/** A fault family as named on the command line (`--nemesis partition,kill,clock`). */
export type NemesisFamily = string;

/** Which nodes a process fault (kill, pause) or a node fault (clock, loss) hits. */
export const NODE_TARGETS = ['one', 'minority', 'majority', 'primaries', 'all'] as const;
export type NodeTarget = (typeof NODE_TARGETS)[number];

/** The shapes of partition the partition family draws from. */
export const PARTITION_KINDS = [
  'halves',
  'random-halves',
  'one',
  'primary',
  'majorities-ring',
  'bridge',
] as const;
export type PartitionKind = (typeof PARTITION_KINDS)[number];

/**
 * Nodes a fault hits: a concrete list (chosen when the schedule is made, from the seed), or
 * `primaries`, which only the running cluster can tell (who leads now), resolved at run time.
 */
export type NodeSet = { nodes: string[] } | { primaries: true };

/** One step of a schedule: at `atMs` after the nemesis starts, start or stop fault `id`. */
export type ScheduleEntry =
  | { atMs: number; action: 'start'; id: number; fault: Fault; durationMs: number }
  | { atMs: number; action: 'stop'; id: number; fault: Fault }
  /** The final heal: network, clocks, paused and killed nodes. Always the last entry. */
  | { atMs: number; action: 'heal' };

export interface Schedule {
  seed: number | null;
  families: NemesisFamily[];
  intervalMs: number;
  /** Length of the nemesis phase: the final heal is at endMs. */
  endMs: number;
  entries: ScheduleEntry[];
}

/**
 * A fault as it happened, for results.json and the report: from the moment its start was
 * invoked to the moment its stop (or the final heal) completed, in history nanoseconds.
 */
export interface NemesisInterval {
  id: number;
  kind: NemesisFamily;
  /** Partition shape, clock mode, ... */
  detail: string;
  nodes: string[];
  /** Partitions: the grudge that was applied (node → nodes it dropped). */
  grudge?: Grudge;
  start: number;
  /** Null when the history ends before the fault was stopped (a run that died). */
  end: number | null;
  /** Errors the start or stop reported (the fault may not have taken full effect). */
  errors?: string[];
}
