/** Porcupine's kv model (get/put/append on one key's string) and its compiled kernel. */

import type { Value } from '../../../history/op.js';
import { interner } from '../../intern.js';
import type { Kernel, Model, ModelOp } from '../model.js';
import { describe, show } from './values.js';

/**
 * Porcupine's kv model for one key (the checker splits by key): a string, initially "", with
 * get, put and append (plain concatenation).
 */
export function kv(options: { initial?: Value } = {}): Model<string> {
  const initial = options.initial === undefined || options.initial === null ? '' : String(options.initial);
  return {
    name: 'kv',
    deterministic: true,
    init: () => [initial],
    key: (s) => s,
    validate: (op) =>
      op.f === 'get' || op.f === 'read'
        ? undefined
        : op.f === 'put' || op.f === 'write' || op.f === 'append'
          ? typeof op.input === 'string' || typeof op.input === 'number'
            ? undefined
            : `${op.f} needs a string value, got ${show(op.input)}`
          : `the kv model has no operation "${op.f}"`,
    ignore: (op) => op.type === 'fail' || ((op.f === 'get' || op.f === 'read') && op.type !== 'ok'),
    readOnly: (op) => op.f === 'get' || op.f === 'read',
    step(state, op) {
      switch (op.f) {
        case 'get':
        case 'read':
          if (op.type !== 'ok') return [state];
          return (op.output === null ? '' : String(op.output)) === state ? [state] : [];
        case 'append':
          return [state + String(op.input)];
        default:
          return [String(op.input)];
      }
    },
    describeOp: describe,
    describeState: (s) => JSON.stringify(s),
    compile: (ops) => kvKernel(initial, ops),
  };
}

/** kv compiled: states are interned strings; gets and puts need no lookup, appends are cached. */
function kvKernel(initial: string, ops: readonly ModelOp[]): Kernel {
  const states: string[] = [];
  const intern = interner<string, string>(states);
  const id = (v: string) => intern(v, v);
  const init = id(initial);
  const n = ops.length;
  const kind = new Uint8Array(n); // 0 get, 1 put, 2 append, 3 no-op
  const a = new Int32Array(n);
  const suffix: string[] = new Array(n).fill('');
  for (let i = 0; i < n; i++) {
    const op = ops[i]!;
    if (op.f === 'get' || op.f === 'read') {
      if (op.type !== 'ok') kind[i] = 3;
      else a[i] = id(op.output === null ? '' : String(op.output));
    } else if (op.f === 'append') {
      kind[i] = 2;
      suffix[i] = String(op.input);
    } else {
      kind[i] = 1;
      a[i] = id(String(op.input));
    }
  }
  const resets = new Uint8Array(n);
  const target: string[] = new Array(n).fill('');
  for (let i = 0; i < n; i++) {
    if (kind[i] === 1) resets[i] = 1;
    if (kind[i] === 0) target[i] = states[a[i]!]!;
  }
  const appended = new Map<number, number>();
  const step1 = (s: number, i: number): number => {
    switch (kind[i]) {
      case 0:
        return s === a[i] ? s : -1;
      case 1:
        return a[i]!;
      case 2: {
        const k = s * n + i;
        let next = appended.get(k);
        if (next === undefined) {
          next = id(states[s]! + suffix[i]!);
          appended.set(k, next);
        }
        return next;
      }
      default:
        return s;
    }
  };
  return {
    deterministic: true,
    initial: [init],
    step1,
    stepN(s, i) {
      const next = step1(s, i);
      return next < 0 ? new Int32Array(0) : Int32Array.of(next);
    },
    describeState: (s) => JSON.stringify(states[s]),
    stateValue: (s) => states[s],
    resets,
    // Appends only extend the string: a get can still succeed only if the state is a prefix.
    reachable: (s, i) => kind[i] !== 0 || target[i]!.startsWith(states[s]!),
  };
}
