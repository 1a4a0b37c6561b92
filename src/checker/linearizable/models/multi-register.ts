/** Knossos's multi-register: txn operations of reads and writes over named registers. */
import type { Value } from '../../../history/op.js';
import type { Model, ModelOp } from '../model.js';
import { describe, sameValue, show, valueKey } from './values.js';

type Registers = Readonly<Record<string, Value>>;

/**
 * Knossos `multi-register`: several named registers changed by `txn` operations whose value is a
 * list of `[read k v]` / `[write k v]`. A read of nil carries no information, as in Knossos.
 */
export function multiRegister(options: { initial?: Value } = {}): Model<Registers> {
  const init = options.initial ?? {};
  if (typeof init !== 'object' || Array.isArray(init))
    throw new TypeError('multi-register: initial must be a map');
  const initial = init as Registers;
  const micro = (op: ModelOp): Value[][] => {
    const v = op.type === 'ok' && Array.isArray(op.output) ? op.output : op.input;
    return (Array.isArray(v) ? v : []) as Value[][];
  };
  return {
    name: 'multi-register',
    deterministic: true,
    init: () => [initial],
    key: valueKey,
    validate(op) {
      if (op.f !== 'txn') return `the multi-register model has no operation "${op.f}"`;
      const v = op.input;
      if (
        !Array.isArray(v) ||
        v.some((m) => !Array.isArray(m) || m.length !== 3 || (m[0] !== 'read' && m[0] !== 'write'))
      )
        return `txn needs a list of [read|write key value], got ${show(v)}`;
      return undefined;
    },
    readOnly: (op) => micro(op).every(([f]) => f === 'read'),
    ignore: (op) =>
      op.type === 'fail' ||
      micro(op).every(([f, , v]) => f === 'read' && (op.type !== 'ok' || v === null || v === undefined)),
    step(state, op) {
      let next: Record<string, Value> | undefined;
      for (const [f, k, v] of micro(op)) {
        const key = String(k);
        const cur = (next ?? state)[key] ?? null;
        if (f === 'read') {
          if (op.type === 'ok' && v !== null && v !== undefined && !sameValue(v, cur)) return [];
        } else {
          next ??= { ...state };
          next[key] = v ?? null;
        }
      }
      return [next ?? state];
    },
    describeOp: describe,
    describeState: (s) => JSON.stringify(s),
  };
}
