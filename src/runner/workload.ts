/**
 * What a workload is: a generator of client operations and the checkers that judge the
 * history. Workloads live in workloads/ and register in workloads/index.ts.
 */
import type { Checker, CheckOptions } from '../checker/types.js';
import type { ClientOp } from '../clients/types.js';
import type { Rng } from './rng.js';

export interface WorkloadOptions {
  concurrency: number;
  [option: string]: unknown;
}

/**
 * Hands out operations in order. `next` is called whenever a worker is free; the sequence of
 * operations it returns depends only on the seed (which worker gets which depends on timing).
 * Undefined means the generator is exhausted.
 */
export interface Generator {
  next(worker: number): ClientOp | undefined;
  /** Operations for after the faults are healed (final reads), spread over the workers. */
  final?(): ClientOp[];
}

export interface CheckerUse {
  checker: Checker;
  options: CheckOptions;
}

export interface Workload {
  name: string;
  description: string;
  generator(options: WorkloadOptions, rng: Rng): Generator;
  checkers(options: WorkloadOptions): CheckerUse[];
}
