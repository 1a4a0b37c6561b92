/** Queues: FIFO, and unordered (a multiset, nondeterministic for unknown dequeues). */
import type { Value } from '../../../history/op.js';
import type { Model, ModelOp } from '../model.js';
import { describe, sameValue, valueKey } from './values.js';

const queueValidate = (name: string) => (op: ModelOp) =>
  op.f === 'enqueue' || op.f === 'dequeue' ? undefined : `the ${name} model has no operation "${op.f}"`;

/**
 * A FIFO queue. enqueue(v); an ok dequeue returns the head, or nil when the queue is empty. A
 * dequeue whose result is unknown, if it happened, removed the head.
 */
export function fifoQueue(options: { initial?: Value } = {}): Model<readonly Value[]> {
  const init = options.initial ?? [];
  if (!Array.isArray(init)) throw new TypeError('fifo-queue: initial must be a list');
  return {
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
}

/** A queue without order (a multiset): a dequeue returns any element; unknown ones branch. */
export function unorderedQueue(options: { initial?: Value } = {}): Model<readonly Value[]> {
  const init = options.initial ?? [];
  if (!Array.isArray(init)) throw new TypeError('unordered-queue: initial must be a list');
  const sorted = (q: readonly Value[]) => [...q].sort((x, y) => (valueKey(x) < valueKey(y) ? -1 : 1));
  return {
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
}
