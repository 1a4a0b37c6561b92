/**
 * The causal workload: sessions (the workers' processes) write unique values to a few shared
 * keys and read the keys the others write. A session is `sticky` (every operation on the
 * worker's own node) or `roaming` (each operation on the next node: the client's `nodeFor`
 * says which), so replicas' lag becomes visible as broken session guarantees. Judged by the
 * causal checker: CC, CCv and CM, read-your-writes, monotonic reads, monotonic writes and
 * writes-follow-reads named in the witnesses. The history fits it: reads and writes only,
 * every written value unique per key (a counter per key), null never written.
 */

import { match } from 'ts-pattern';
import { z } from 'zod';
import { causalChecker, MODELS } from '../src/checker/causal/index.js';
import { perfChecker } from '../src/checker/perf.js';
import { statsChecker } from '../src/checker/stats.js';
import type { Key } from '../src/history/op.js';
import type { Generator, GeneratorContext, Workload } from '../src/runner/workload.js';
import type { RegisterOp } from './register.js';

/**
 * The causal protocol: what a target's `clients.causal` must do. `roam` asks the client to
 * serve this operation on the next node of its rotation (see src/clients/session.ts), not its
 * own; the history records the node that served it.
 */
export type CausalOp =
  | { f: 'read'; key: Key; value: null; roam: boolean }
  | { f: 'write'; key: Key; value: number; roam: boolean };

/** A causal operation as the register operation a register client serves. */
export const causalAsRegister = (op: CausalOp): RegisterOp =>
  match(op)
    .with({ f: 'read' }, (o): RegisterOp => ({ f: 'read', key: o.key, value: null }))
    .with({ f: 'write' }, (o): RegisterOp => ({ f: 'write', key: o.key, value: o.value }))
    .exhaustive();

export const causalOptionsSchema = z
  .object({
    keys: z.number().int().min(1).default(2).describe('keys every session writes and reads'),
    writeFraction: z.number().min(0).max(1).default(0.4).describe('share of operations that write'),
    sessions: z
      .enum(['sticky', 'roaming'])
      .default('sticky')
      .describe('sticky: a session stays on its node; roaming: each operation on the next node'),
    model: z.enum(MODELS).default('CCv').describe('the model whose verdict is the run’s: CC, CCv or CM'),
    checkTimeLimitMs: z.number().int().min(1).default(60_000).describe('budget of the causal check, ms'),
  })
  .strict();

export type CausalWorkloadOptions = z.infer<typeof causalOptionsSchema>;

export function causalGenerator(o: CausalWorkloadOptions, { rng }: GeneratorContext): Generator<CausalOp> {
  const nextValue = new Array<number>(o.keys).fill(1);
  const roam = o.sessions === 'roaming';
  return {
    next(): CausalOp {
      const key = rng.int(o.keys);
      if (rng.next() >= o.writeFraction) return { f: 'read', key, value: null, roam };
      const value = nextValue[key]!++;
      return { f: 'write', key, value, roam };
    },
    final(): CausalOp[] {
      return Array.from({ length: o.keys }, (_, key) => ({ f: 'read', key, value: null, roam }));
    },
  };
}

export const causalWorkload: Workload<CausalOp, CausalWorkloadOptions> = {
  name: 'causal',
  description:
    'sessions writing unique values and reading each other’s keys; CC, CCv, CM and session guarantees',
  protocol: 'causal',
  options: causalOptionsSchema,
  generator: causalGenerator,
  checkers(o) {
    return [
      { checker: causalChecker, options: { model: o.model, timeLimitMs: o.checkTimeLimitMs } },
      { checker: statsChecker, options: {} },
      { checker: perfChecker, options: {} },
    ];
  },
};
