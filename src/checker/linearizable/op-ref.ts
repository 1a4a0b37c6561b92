/** An operation as the evidence and its witnesses show it. */
import type { Value } from '../../history/op.js';
import type { Operation } from '../../history/operations.js';
import type { Model } from './model.js';

/** An operation as the evidence shows it. */
export interface OpRef {
  process: number;
  f: string;
  type: 'ok' | 'fail' | 'info';
  value: Value;
  output: Value;
  /** Event indices of the invocation and completion (null when it never completed). */
  invokeIndex: number;
  completionIndex: number | null;
  description: string;
}

/** What evidence needs of an operation (an Operation, or its plain copy in a worker). */
export type EvidenceOp = Pick<
  Operation,
  'process' | 'f' | 'type' | 'input' | 'output' | 'callIndex' | 'returnIndex'
>;

export function opRef(model: Model, op: EvidenceOp): OpRef {
  return {
    process: op.process,
    f: op.f,
    type: op.type,
    value: op.input,
    output: op.output,
    invokeIndex: op.callIndex,
    completionIndex: Number.isFinite(op.returnIndex) ? op.returnIndex : null,
    description: `process ${op.process} ${model.describeOp(op)}`,
  };
}
