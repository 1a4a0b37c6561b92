/**
 * Pairs each client invocation with its completion: the unit checkers reason about.
 */
import type { CompletionType, History, Key, Op, Value } from './op.js';

export interface Operation {
  process: number;
  f: string;
  key: Key | undefined;
  invoke: Op;
  /** Undefined when the history ended with the invocation still open. */
  completion: Op | undefined;
  /** An invocation with no completion by the end counts as `info`. */
  type: CompletionType;
  /** Index of the invocation event. */
  callIndex: number;
  /** Index of the completion event; +Infinity when there is none. */
  returnIndex: number;
  /** The invocation's argument. */
  input: Value;
  /** The completion's value (a read's result); null when there is no completion. */
  output: Value;
}

/** Client operations in invocation order; nemesis events are left out. */
export function pairOperations(history: History): Operation[] {
  const operations: Operation[] = [];
  const open = new Map<number, Operation>();
  for (const op of history.ops) {
    if (op.process === 'nemesis') continue;
    if (op.type === 'invoke') {
      const operation: Operation = {
        process: op.process,
        f: op.f,
        key: op.key,
        invoke: op,
        completion: undefined,
        type: 'info',
        callIndex: op.index,
        returnIndex: Number.POSITIVE_INFINITY,
        input: op.value,
        output: null,
      };
      operations.push(operation);
      open.set(op.process, operation);
    } else {
      const operation = open.get(op.process);
      if (!operation) continue; // buildHistory rejects these; tolerate hand-made histories
      open.delete(op.process);
      operation.completion = op;
      operation.type = op.type;
      operation.returnIndex = op.index;
      operation.output = op.value;
    }
  }
  return operations;
}
