/**
 * The register family: `register` (read/write) and `cas-register` (plus compare-and-set), one
 * model with options for each peer's conventions, compiled to an integer kernel for speed.
 */

import type { Value } from '../../../history/op.js';
import { interner } from '../../intern.js';
import type { Kernel, Model, ModelOp } from '../model.js';
import { describe, sameValue, show, valueKey } from './values.js';

export interface RegisterOptions {
  /** Initial value; default null (absent), as Porcupine's etcd data. Knossos's tests use 0. */
  initial?: Value;
  /**
   * What a read that returned nil means. 'absent': the register held nil (Porcupine's etcd
   * model). 'unknown': it carries no information (Knossos). Default: 'absent' when the initial
   * value is nil, 'unknown' otherwise (a register that starts at a value and is only ever written
   * values can never be nil, so a nil read can only mean "no answer").
   */
  nilRead?: 'absent' | 'unknown';
  /**
   * What a failed cas means. 'drop': it did not take effect and says nothing (Knossos, Jepsen).
   * 'mismatch': a real answer, the compare did not match, legal only when the value differs
   * from `expected` (Porcupine's etcd model). Default 'drop'.
   */
  failedCas?: 'drop' | 'mismatch';
}

// Register kernel operation kinds.
const READ = 0;
const WRITE = 1;
const CAS = 2;
const CAS_MISMATCH = 3;
const CAS_INFO = 4;
const NOOP = 5;

function registerModel(name: string, withCas: boolean, options: RegisterOptions): Model<Value> {
  const initial: Value = options.initial === undefined ? null : options.initial;
  const nilRead = options.nilRead ?? (initial === null ? 'absent' : 'unknown');
  const failedCas = options.failedCas ?? 'drop';
  const casArgs = (op: ModelOp): [Value, Value] => {
    const v = (op.input ?? op.output) as Value[];
    return [v[0] ?? null, v[1] ?? null];
  };
  // One of them, without building the pair (prune looks at every cas of a history).
  const casArg = (op: ModelOp, i: 0 | 1): Value => ((op.input ?? op.output) as Value[])[i] ?? null;
  const arg = (op: ModelOp): Value => (op.input === null && op.type === 'ok' ? op.output : op.input);
  const model: Model<Value> = {
    name,
    deterministic: true,
    init: () => [initial],
    key: valueKey,
    validate(op) {
      if (op.f === 'read' || op.f === 'write') return undefined;
      if (op.f === 'cas' && withCas) {
        const v = op.input ?? op.output;
        return Array.isArray(v) && v.length === 2 ? undefined : `cas needs [expected, new], got ${show(v)}`;
      }
      return `the ${name} model has no operation "${op.f}"`;
    },
    readOnly: (op) => op.f === 'read' || (op.f === 'cas' && op.type === 'fail'),
    ignore(op) {
      if (op.f === 'read') return op.type !== 'ok' || (nilRead === 'unknown' && op.output === null);
      if (op.type === 'fail') return !(op.f === 'cas' && failedCas === 'mismatch');
      return false;
    },
    step(state, op) {
      if (op.f === 'read') {
        if (op.type !== 'ok' || (op.output === null && nilRead === 'unknown')) return [state];
        return sameValue(op.output, state) ? [state] : [];
      }
      if (op.f === 'write') return [arg(op)];
      const [from, to] = casArgs(op);
      const matches = sameValue(state, from);
      if (op.type === 'ok') return matches ? [to] : [];
      if (op.type === 'fail') return failedCas === 'mismatch' ? (matches ? [] : [state]) : [state];
      return matches ? [to] : [state];
    },
    // An info write or cas whose new value nobody observes (no read returns it, no cas expects
    // it) is dominated by never happening: from that value only a write can lead anywhere, and
    // a write leads to the same state from anywhere. Not with failed cas as mismatches, which
    // such a value would satisfy.
    prune(ops) {
      if (!ops.some((op) => op.type === 'info')) return ops.slice();
      const observed = new Set<unknown>();
      const k = (v: Value) => (typeof v === 'number' ? v : valueKey(v));
      for (const op of ops) {
        if (op.f === 'read' && op.type === 'ok') observed.add(k(op.output));
        else if (op.f === 'cas') {
          if (op.type === 'fail') return [...ops];
          observed.add(k(casArg(op, 0)));
        }
      }
      return ops.filter((op) => {
        if (op.type !== 'info') return true;
        const written = op.f === 'write' ? arg(op) : op.f === 'cas' ? casArg(op, 1) : undefined;
        return written === undefined || observed.has(k(written));
      });
    },
    describeOp: describe,
    describeState: show,
    compile(ops) {
      const values: Value[] = [null];
      // Numbers intern by themselves (no key string to build); others by valueKey.
      const intern = interner<unknown, Value>(values, new Map([['nil', 0]]));
      const small = smallIntegerIds(values);
      const id = (v: Value) =>
        v === null || v === undefined
          ? 0
          : typeof v === 'number' && isSmall(v)
            ? small.id(v)
            : intern(typeof v === 'number' ? v : valueKey(v), v);
      try {
        return compileOps(ops, id, values);
      } finally {
        small.clear();
      }
    },
  };
  /** The kernel over these operations, values numbered by `id` (`values[id]` each stands for). */
  function compileOps(ops: readonly ModelOp[], id: (v: Value) => number, values: Value[]): Kernel {
    const n = ops.length;
    const kind = new Uint8Array(n);
    const a = new Int32Array(n);
    const b = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const op = ops[i]!;
      if (op.f === 'read') {
        if (op.type !== 'ok' || (op.output === null && nilRead === 'unknown')) kind[i] = NOOP;
        else {
          kind[i] = READ;
          a[i] = id(op.output);
        }
      } else if (op.f === 'write') {
        kind[i] = WRITE;
        a[i] = id(arg(op));
      } else {
        a[i] = id(casArg(op, 0));
        b[i] = id(casArg(op, 1));
        kind[i] =
          op.type === 'ok'
            ? CAS
            : op.type === 'info'
              ? CAS_INFO
              : failedCas === 'mismatch'
                ? CAS_MISMATCH
                : NOOP;
      }
    }
    const init = id(initial);
    const step1 = (s: number, i: number): number => {
      switch (kind[i]) {
        case READ:
          return s === a[i] ? s : -1;
        case WRITE:
          return a[i]!;
        case CAS:
          return s === a[i] ? b[i]! : -1;
        case CAS_MISMATCH:
          return s === a[i] ? -1 : s;
        case CAS_INFO:
          return s === a[i] ? b[i]! : s;
        default:
          return s;
      }
    };
    const one = new Int32Array(1);
    const none = new Int32Array(0);
    const kernel: Kernel = {
      deterministic: true,
      initial: [init],
      step1,
      stepN(s, i) {
        const next = step1(s, i);
        if (next < 0) return none;
        const out = one.slice();
        out[0] = next;
        return out;
      },
      describeState: (s) => show(values[s]),
      stateValue: (s) => values[s],
    };
    // No failed cas read as a mismatch: the unique-writes algorithm may decide this sub-history.
    if (kind.every((k) => k === READ || k === WRITE || k === CAS || k === CAS_INFO)) {
      const requires = new Int32Array(n).fill(-1);
      const installs = new Int32Array(n).fill(-1);
      for (let i = 0; i < n; i++) {
        if (kind[i] !== WRITE) requires[i] = a[i]!;
        if (kind[i] === WRITE) installs[i] = a[i]!;
        else if (kind[i] !== READ) installs[i] = b[i]!;
      }
      return { ...kernel, registerView: { requires, installs } };
    }
    return kernel;
  }
  return model;
}

/** Integers this small number their values through a table instead of a hash map. */
const SMALL_VALUES = 1 << 22;
const isSmall = (v: number) => Number.isInteger(v) && v >= 0 && v < SMALL_VALUES;
/** By value: its id + 1 (0: not seen yet) in the compile under way; cleared after each. */
let smallTable = new Int32Array(1024);

/**
 * Ids for small non-negative integers (the usual register values), given in the same order
 * and sequence as the interner's: the next id is `values.length`.
 */
function smallIntegerIds(values: Value[]) {
  const seen: number[] = [];
  return {
    id(v: number): number {
      if (v >= smallTable.length) {
        const bigger = new Int32Array(Math.min(SMALL_VALUES, Math.max(v + 1, smallTable.length * 2)));
        bigger.set(smallTable);
        smallTable = bigger;
      }
      const known = smallTable[v]!;
      if (known > 0) return known - 1;
      const id = values.length;
      values.push(v);
      smallTable[v] = id + 1;
      seen.push(v);
      return id;
    },
    clear(): void {
      for (const v of seen) smallTable[v] = 0;
    },
  };
}

/** A read/write register (Knossos `register`). */
export const register = (options: RegisterOptions = {}) => registerModel('register', false, options);
/** A read/write/compare-and-set register (Knossos `cas-register`, Porcupine's etcd model). */
export const casRegister = (options: RegisterOptions = {}) => registerModel('cas-register', true, options);
