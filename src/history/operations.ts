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

/** Process ids below this find their open operation in an array (no hashing); others in a map. */
const SMALL_PROCESS = 1 << 16;

/** Open operations by process. */
class OpenCalls {
  private readonly small: Array<Operation | undefined> = [];
  private readonly large = new Map<number, Operation>();
  get(p: number): Operation | undefined {
    return p < SMALL_PROCESS ? this.small[p] : this.large.get(p);
  }
  set(p: number, operation: Operation): void {
    if (p < SMALL_PROCESS) this.small[p] = operation;
    else this.large.set(p, operation);
  }
  delete(p: number): void {
    if (p < SMALL_PROCESS) this.small[p] = undefined;
    else this.large.delete(p);
  }
}

/** Client operations in invocation order; nemesis events are left out. */
export function pairOperations(history: History): Operation[] {
  const operations: Operation[] = [];
  const open = new OpenCalls();
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
