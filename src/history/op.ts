/**
 * The history's data model: one `Op` per recorded event (see shared/spec/history.md).
 * Everything that crosses from running to judging is made of these.
 */

/** Any JSON value an operation may carry as argument or result. */
export type Value = null | boolean | number | string | Value[] | { [field: string]: Value };

/** A client worker (integer ≥ 0) or the fault injector. */
export type Process = number | 'nemesis';

export type OpType = 'invoke' | 'ok' | 'fail' | 'info';

/** A completion type: what happened to an invoked operation. */
export type CompletionType = Exclude<OpType, 'invoke'>;

/** The object an operation acts on; operations on different keys are independent. */
export type Key = string | number;

export interface Op {
  /** Dense, from 0, in recording order. Checkers use this order as real-time order. */
  index: number;
  /** Integer nanoseconds since the run started (monotonic). */
  time: number;
  process: Process;
  type: OpType;
  f: string;
  key?: Key;
  value: Value;
  error?: string;
  node?: string;
}

/** A history in memory: its events in order, and whether their order reflects real time. */
export interface History {
  ops: Op[];
  /**
   * False for formats without timing (sessions-json-v1): only per-process order is known,
   * so real-time checkers (linearizability) must refuse it.
   */
  realTime: boolean;
}

export const isClientProcess = (p: Process): p is number => typeof p === 'number';
