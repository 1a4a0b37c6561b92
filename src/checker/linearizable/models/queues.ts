/**
 * Queues: FIFO, and unordered (a multiset, nondeterministic for unknown dequeues). Their states
 * are whole lists, interned on the heap rather than in the memo's typed arrays, so each model
 * counts what its states cost and gives up with the memory-limit verdict (`unknown`) at a cap,
 * long before V8 would abort on a full heap.
 */
import { getHeapStatistics } from 'node:v8';
import type { Value } from '../../../history/op.js';
import { MemoFull } from '../memo.js';
import { genericKernel, type Kernel, type Model, type ModelOp } from '../model.js';
import { describe, sameValue, valueKey } from './values.js';

export interface QueueOptions {
  initial?: Value;
  /**
   * Heap bytes one sub-history's states may take (estimated) before the search gives up as
   * unknown (default: a quarter of V8's heap limit).
   */
  stateLimitBytes?: number;
}

/** Steps between looks at the real heap: past 85% of its limit, give up whatever the estimate. */
const HEAP_CHECK_EVERY = 4096;
const HEAP_FRACTION = 0.85;
const MAX_TRANSITIONS = 2 ** 24 - 1;

/**
 * The generic kernel over a copy of `model` whose steps and keys are charged to a budget: a
 * list state of length L costs about 48 + 8L bytes, its key one byte a character, each cached
 * transition about 96. Throws MemoFull (which the search turns into `unknown`, reason
 * memory-limit) past the budget, or when the heap itself is nearly full.
 */
function budgetedKernel(model: Model<readonly Value[]>, ops: readonly ModelOp[], limit: number): Kernel {
  const { heap_size_limit: heapLimit } = getHeapStatistics();
  let used = 0;
  let steps = 0;
  const charge = (bytes: number) => {
    used += bytes;
    if (used > limit) throw new MemoFull(used);
  };
  const counted: Model<readonly Value[]> = {
    ...model,
    step(q, op) {
      const out = model.step(q, op);
      let bytes = 96;
      for (const s of out) bytes += 48 + 8 * s.length;
      charge(bytes);
      // A Map holds at most 2^24 entries; the kernel keeps one per transition it has seen.
      if (++steps >= MAX_TRANSITIONS) throw new MemoFull(used);
      if (steps % HEAP_CHECK_EVERY === 0 && getHeapStatistics().used_heap_size > HEAP_FRACTION * heapLimit)
        throw new MemoFull(used);
      return out;
    },
    key(q) {
      const k = model.key(q);
      charge(24 + String(k).length);
      return k;
    },
  };
  return genericKernel(counted, ops);
}

const defaultLimit = () => Math.floor(getHeapStatistics().heap_size_limit / 4);

const queueValidate = (name: string) => (op: ModelOp) =>
  op.f === 'enqueue' || op.f === 'dequeue' ? undefined : `the ${name} model has no operation "${op.f}"`;

/**
 * A FIFO queue. enqueue(v); an ok dequeue returns the head, or nil when the queue is empty. A
 * dequeue whose result is unknown, if it happened, removed the head.
 */
export function fifoQueue(options: QueueOptions = {}): Model<readonly Value[]> {
  const init = options.initial ?? [];
  if (!Array.isArray(init)) throw new TypeError('fifo-queue: initial must be a list');
  const limit = options.stateLimitBytes ?? defaultLimit();
  const model: Model<readonly Value[]> = {
    name: 'fifo-queue',
    deterministic: true,
    init: () => [init],
    key: valueKey,
    validate: queueValidate('fifo-queue'),
    readOnly: (op) => op.f === 'dequeue' && op.type === 'ok' && op.output === null,
    step(q, op) {
      if (op.f === 'enqueue') return [[...q, op.input]];
      if (op.type === 'ok') {
        if (op.output === null) return q.length === 0 ? [q] : [];
        return q.length > 0 && sameValue(q[0], op.output) ? [q.slice(1)] : [];
      }
      return [q.slice(1)];
    },
    describeOp: describe,
    describeState: (q) => JSON.stringify(q),
  };
  model.compile = (ops) => budgetedKernel(model, ops, limit);
  return model;
}

/** A queue without order (a multiset): a dequeue returns any element; unknown ones branch. */
export function unorderedQueue(options: QueueOptions = {}): Model<readonly Value[]> {
  const init = options.initial ?? [];
  if (!Array.isArray(init)) throw new TypeError('unordered-queue: initial must be a list');
  const limit = options.stateLimitBytes ?? defaultLimit();
  const sorted = (q: readonly Value[]) => [...q].sort((x, y) => (valueKey(x) < valueKey(y) ? -1 : 1));
  const model: Model<readonly Value[]> = {
    name: 'unordered-queue',
    init: () => [sorted(init)],
    key: valueKey,
    validate: queueValidate('unordered-queue'),
    readOnly: (op) => op.f === 'dequeue' && op.type === 'ok' && op.output === null,
    step(q, op) {
      if (op.f === 'enqueue') return [sorted([...q, op.input])];
      const without = (i: number) => [...q.slice(0, i), ...q.slice(i + 1)];
      if (op.type === 'ok') {
        if (op.output === null) return q.length === 0 ? [q] : [];
        const i = q.findIndex((v) => sameValue(v, op.output));
        return i < 0 ? [] : [without(i)];
      }
      if (q.length === 0) return [q];
      const out: Value[][] = [];
      for (let i = 0; i < q.length; i++) if (i === 0 || !sameValue(q[i], q[i - 1])) out.push(without(i));
      return out;
    },
    describeOp: describe,
    describeState: (q) => JSON.stringify(q),
  };
  model.compile = (ops) => budgetedKernel(model, ops, limit);
  return model;
}
