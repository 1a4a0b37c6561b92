/** A lock with acquire and release. */
import type { Value } from '../../../history/op.js';
import type { Model } from '../model.js';
import { describe } from './values.js';

/** A lock: acquire when free, release when held. The state is "held?". */
export function mutex(options: { initial?: Value } = {}): Model<boolean> {
  const init = options.initial ?? false;
  if (typeof init !== 'boolean') throw new TypeError('mutex: initial must be true (held) or false (free)');
  return {
    name: 'mutex',
    deterministic: true,
    init: () => [init],
    key: (s) => (s ? 1 : 0),
    validate: (op) =>
      op.f === 'acquire' || op.f === 'release' ? undefined : `the mutex model has no operation "${op.f}"`,
    step: (held, op) => (op.f === 'acquire' ? (held ? [] : [true]) : held ? [false] : []),
    describeOp: describe,
    describeState: (held) => (held ? 'held' : 'free'),
  };
}
