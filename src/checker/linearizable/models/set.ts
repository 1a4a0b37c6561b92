/** A grow-only set whose reads return every element. */
import type { Value } from '../../../history/op.js';
import type { Model } from '../model.js';
import { describe, show, valueKey } from './values.js';

/** A grow-only set: add(v); an ok read returns every element (in any order). */
export function set(options: { initial?: Value } = {}): Model<readonly Value[]> {
  const init = options.initial ?? [];
  if (!Array.isArray(init)) throw new TypeError('set: initial must be a list');
  const canon = (xs: readonly Value[]) => {
    const m = new Map<string, Value>();
    for (const x of xs) m.set(valueKey(x), x);
    return [...m.keys()].sort().map((k) => m.get(k)!);
  };
  return {
    name: 'set',
    deterministic: true,
    init: () => [canon(init)],
    key: valueKey,
    validate: (op) =>
      op.f === 'add' || op.f === 'read'
        ? op.f === 'read' && op.type === 'ok' && !Array.isArray(op.output) && op.output !== null
          ? `a set read returns a list, got ${show(op.output)}`
          : undefined
        : `the set model has no operation "${op.f}"`,
    ignore: (op) => op.type === 'fail' || (op.f === 'read' && op.type !== 'ok'),
    readOnly: (op) => op.f === 'read',
    step(s, op) {
      if (op.f === 'add') return [canon([...s, op.input])];
      if (op.type !== 'ok') return [s];
      return valueKey(canon((op.output ?? []) as Value[])) === valueKey(s) ? [s] : [];
    },
    describeOp: describe,
    describeState: (s) => JSON.stringify(s),
  };
}
