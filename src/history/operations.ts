/**
 * Pairs each client invocation with its completion: the unit checkers reason about.
 */
import type { CompletionType, History, Key, Op, Value } from './op.js';

/** What checkers reason about in an operation: its call, its outcome, and when. */
export interface Call {
  process: number;
  f: string;
  key: Key | undefined;
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

/** A call with the events it was made of, for evidence (times, nodes, errors). */
export interface Operation extends Call {
  invoke: Op;
  /** Undefined when the history ended with the invocation still open. */
  completion: Op | undefined;
}

/** Process ids below this find their open operation in an array (no hashing); others in a map. */
const SMALL_PROCESS = 1 << 16;

/** The slot (in call order) of each process's open operation. */
export class OpenCalls {
  private readonly small: Array<number | undefined> = [];
  private readonly large = new Map<number, number>();
  get(p: number): number | undefined {
    return p < SMALL_PROCESS ? this.small[p] : this.large.get(p);
  }
  set(p: number, slot: number): void {
    if (p < SMALL_PROCESS) this.small[p] = slot;
    else this.large.set(p, slot);
  }
  delete(p: number): void {
    if (p < SMALL_PROCESS) this.small[p] = undefined;
    else this.large.delete(p);
  }
}

/*
 * Each operation is made once, whole, when it completes: an object made open and completed
 * later would hold its return index as a field that must also take +Infinity, which V8 keeps
 * in a separate box per object (a million more objects for the collector on a large history).
 * The few never completed have their own shape (fields in another order), so the common
 * one's return index stays a small integer.
 */
export const completed = (invoke: Op & { process: number }, completion: Op): Operation => ({
  process: invoke.process,
  f: invoke.f,
  key: invoke.key,
  invoke,
  completion,
  type: completion.type as CompletionType,
  callIndex: invoke.index,
  returnIndex: completion.index,
  input: invoke.value,
  output: completion.value,
});

export const neverCompleted = (invoke: Op & { process: number }): Operation => ({
  returnIndex: Number.POSITIVE_INFINITY,
  process: invoke.process,
  f: invoke.f,
  key: invoke.key,
  invoke,
  completion: undefined,
  type: 'info',
  callIndex: invoke.index,
  input: invoke.value,
  output: null,
});

/** Client operations in invocation order; nemesis events are left out. */
export function pairOperations(history: History): Operation[] {
  // In call order: the invocation until it completes, then its operation.
  const slots: Array<Op | Operation> = [];
  let completions = 0;
  const open = new OpenCalls();
  for (const op of history.ops) {
    const p = op.process;
    if (p === 'nemesis') continue;
    if (op.type === 'invoke') {
      open.set(p, slots.length);
      slots.push(op);
      continue;
    }
    const slot = open.get(p);
    if (slot === undefined) continue; // buildHistory rejects these; tolerate hand-made histories
    open.delete(p);
    slots[slot] = completed(slots[slot] as Op & { process: number }, op);
    completions++;
  }
  if (completions < slots.length)
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i]!;
      if (!('callIndex' in s)) slots[i] = neverCompleted(s as Op & { process: number });
    }
  return slots as Operation[];
}
