/**
 * A workload: typed operations (a discriminated union on `f`), the protocol its clients must
 * speak, a seeded generator with final operations, and the checkers that judge the history.
 * A target without a client for the protocol is refused before anything starts. Built-in
 * workloads live in workloads/ and register in workloads/index.ts; a user's config may pass
 * its own object.
 */
import type { z } from 'zod';
import type { Checker, CheckOptions } from '../checker/types.js';
import type { OperationBase } from '../clients/types.js';
import type { Rng } from './rng.js';

/**
 * Hands out operations in order. `next` is called whenever a worker is free; the sequence of
 * operations it returns depends only on the seed (which worker gets which depends on timing).
 * Undefined means the generator is exhausted.
 */
export interface Generator<Op extends OperationBase = OperationBase> {
  next(worker: number): Op | undefined;
  /** Operations for after the faults are healed (final reads), spread over the workers. */
  final?(): Op[];
}

export interface CheckerUse {
  checker: Checker;
  options: CheckOptions;
}

export interface GeneratorContext {
  concurrency: number;
  rng: Rng;
}

// biome-ignore lint/suspicious/noExplicitAny: the default admits any workload's options
export interface Workload<Op extends OperationBase = OperationBase, O extends Record<string, unknown> = any> {
  name: string;
  description: string;
  /** What its clients speak: a target offers one client per protocol (`clients.register`). */
  protocol: string;
  /** The workload's own options; the CLI makes a flag of each. */
  options: z.ZodType<O>;
  generator(options: O, context: GeneratorContext): Generator<Op>;
  checkers(options: O, context: { concurrency: number }): CheckerUse[];
  /**
   * Whether an operation only reads: a read that errs is certainly without effect (fail, not
   * info), and the history records its invocation value as null. Default: `f === 'read'`.
   */
  readOnly?(op: Op): boolean;
}

export const isReadOnly = <Op extends OperationBase>(workload: Workload<Op>, op: Op): boolean =>
  workload.readOnly ? workload.readOnly(op) : op.f === 'read';

/** Identity, for typing a user's workload module. */
export function defineWorkload<Op extends OperationBase, O extends Record<string, unknown>>(
  workload: Workload<Op, O>,
): Workload<Op, O> {
  return workload;
}
