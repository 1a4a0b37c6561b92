/**
 * The causal checker's public vocabulary: models, bad patterns, witnesses and the result.
 * See shared/spec/causal.md.
 */
import type { Key, Value } from '../../history/op.js';
import type { Verdict } from '../types.js';

/** POPL'17's three models: causal consistency, causal convergence, causal memory. */
export const MODELS = ['CC', 'CCv', 'CM'] as const;
export type CausalModel = (typeof MODELS)[number];
export const isCausalModel = (s: unknown): s is CausalModel => (MODELS as readonly unknown[]).includes(s);

export const PATTERNS = [
  'ThinAirRead',
  'AbortedRead',
  'CyclicCO',
  'WriteCOInitRead',
  'WriteCORead',
  'CyclicCF',
  'WriteHBInitRead',
  'CyclicHB',
] as const;
export type Pattern = (typeof PATTERNS)[number];

/** Which models each bad pattern refutes. */
export const PATTERN_MODELS: Record<Pattern, readonly CausalModel[]> = {
  ThinAirRead: ['CC', 'CCv', 'CM'],
  AbortedRead: ['CC', 'CCv', 'CM'],
  CyclicCO: ['CC', 'CCv', 'CM'],
  WriteCOInitRead: ['CC', 'CCv', 'CM'],
  WriteCORead: ['CC', 'CCv', 'CM'],
  CyclicCF: ['CCv'],
  WriteHBInitRead: ['CM'],
  CyclicHB: ['CM'],
};

/** Terry et al.'s session guarantees, named in WriteCORead / WriteCOInitRead witnesses. */
export const GUARANTEES = [
  'read-your-writes',
  'monotonic-reads',
  'monotonic-writes',
  'writes-follow-reads',
] as const;
export type SessionGuarantee = (typeof GUARANTEES)[number];

/** One operation of a witness, as the history recorded it. */
export interface WitnessOp {
  /** Stable id inside this witness's edges (the checker's node number). */
  id: number;
  /** Index of the invocation event in the history. */
  index: number;
  /** Index of the completion event; undefined for an `info` write that never completed. */
  completionIndex: number | undefined;
  process: number;
  /** Invocation time (ns). */
  time: number;
  f: 'read' | 'write';
  key: Key;
  value: Value;
  /** ok, or info for an indeterminate write some read observed; fail for a failed write. */
  type: 'ok' | 'info' | 'fail';
}

/**
 * An edge of a witness. `po`: program (session) order; `rf`: reads-from; `co`: causal order,
 * explained by `steps` (a chain of po/rf edges); `cf`: conflict (arbitration forced by a read);
 * `hb`: an edge of a session's happens-before (causal memory).
 */
export interface WitnessEdge {
  from: number;
  to: number;
  kind: 'po' | 'rf' | 'co' | 'cf' | 'hb';
  why: string;
  steps?: WitnessEdge[];
}

export interface Anomaly {
  pattern: Pattern;
  /** The models this anomaly refutes. */
  models: CausalModel[];
  ops: WitnessOp[];
  edges: WitnessEdge[];
  /** One paragraph in plain words. */
  explanation: string;
  /** For WriteCORead / WriteCOInitRead: the session guarantees whose rules the witness used. */
  guarantees?: SessionGuarantee[];
}

export interface CausalStats {
  /** Client operations in the history (invocations). */
  operations: number;
  /** Operations kept after input cleaning. */
  kept: number;
  reads: number;
  writes: number;
  sessions: number;
  keys: number;
  /** fail/info reads dropped, and info writes nobody read. */
  droppedReads: number;
  droppedWrites: number;
  /** Conflict edges recorded for the CCv cycle check (after removing redundant ones). */
  conflictEdges: number;
  ms: number;
}

export interface CausalResult {
  [evidence: string]: unknown;
  /** The discriminant the report renders by. */
  checker: 'causal';
  /** The verdict for the chosen model. */
  valid: Verdict;
  model: CausalModel;
  models: Record<CausalModel, Verdict>;
  summary: string;
  /** Witnessed anomalies, at most `maxWitnesses` of them. */
  anomalies: Anomaly[];
  /** How many of each pattern were found (witnessed or not). */
  anomalyCounts: Partial<Record<Pattern, number>>;
  /** Violations per session guarantee, counted over the witnessed anomalies. */
  sessionGuarantees: Record<SessionGuarantee, number>;
  stats: CausalStats;
  notes: string[];
}

export interface CausalOptions {
  /** The model whose verdict is `valid` (default CCv). */
  model?: string;
  /** Wall-clock budget; past it unfinished models are "unknown". */
  timeLimitMs?: number;
  /**
   * Causal memory costs more (a fixpoint per session): above this many kept operations it runs
   * only when asked for (`model: 'CM'` or `cm: true`). Default 100 000.
   */
  cmMaxOps?: number;
  cm?: boolean;
  /**
   * Memory for vector clocks, in MiB (default 2048). Keeping every write's clock takes up to
   * writing sessions × writes entries; a history with very many writing sessions (thousands of
   * crashed processes) that would pass the budget keeps only the clocks some read can still
   * need, recycling the rest. If even those pass it, the verdicts are "unknown" instead of the
   * process running out of memory.
   */
  clockBudgetMB?: number;
  /** At most this many anomalies get a full witness (default 100). */
  maxWitnesses?: number;
  /** Name of the file, for error messages. */
  file?: string;
}
