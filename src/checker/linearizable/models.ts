/**
 * The sequential specifications the linearizability checker knows. Each is small and pure; the
 * register family also compiles to an integer kernel for speed.
 */
import type { Value } from '../../history/op.js';
import type { Kernel, Model, ModelOp } from './model.js';

/** A canonical string for a JSON value: equal strings exactly when the values are equal. */
export function valueKey(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  switch (typeof v) {
    case 'number':
      return `n${v}`;
    case 'string':
      return `s${v}`;
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      break;
  }
  if (Array.isArray(v)) return `[${v.map(valueKey).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${valueKey(o[k])}`)
    .join(',')}}`;
}

export const show = (v: unknown): string => (v === null || v === undefined ? 'nil' : JSON.stringify(v));

const sameValue = (a: unknown, b: unknown) =>
  a === b ||
  ((a === null || a === undefined) && (b === null || b === undefined)) ||
  valueKey(a) === valueKey(b);

const describe = (op: ModelOp): string => {
  const arg = op.input === null || op.input === undefined ? '' : ` ${show(op.input)}`;
  if (op.type === 'info') return `${op.f}${arg} → ?`;
  if (op.type === 'fail') return `${op.f}${arg} → failed`;
  return `${op.f}${arg} → ${show(op.output)}`;
};

/* ------------------------------------------------------------------ registers */

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
      const observed = new Set<unknown>();
      const k = (v: Value) => (typeof v === 'number' ? v : valueKey(v));
      for (const op of ops) {
        if (op.f === 'read' && op.type === 'ok') observed.add(k(op.output));
        else if (op.f === 'cas') {
          if (op.type === 'fail') return [...ops];
          observed.add(k(casArgs(op)[0]));
        }
      }
      return ops.filter((op) => {
        if (op.type !== 'info') return true;
        const written = op.f === 'write' ? arg(op) : op.f === 'cas' ? casArgs(op)[1] : undefined;
        return written === undefined || observed.has(k(written));
      });
    },
    describeOp: describe,
    describeState: show,
    compile(ops) {
      const values: Value[] = [null];
      // Numbers and strings intern by themselves (no key string to build); others by valueKey.
      const ids = new Map<unknown, number>([['nil', 0]]);
      const id = (v: Value) => {
        if (v === null || v === undefined) return 0;
        const k = typeof v === 'number' ? v : valueKey(v);
        let i = ids.get(k);
        if (i === undefined) {
          i = values.length;
          values.push(v);
          ids.set(k, i);
        }
        return i;
      };
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
          const [from, to] = casArgs(op);
          a[i] = id(from);
          b[i] = id(to);
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
      return kernel;
    },
  };
  return model;
}

/** A read/write register (Knossos `register`). */
export const register = (options: RegisterOptions = {}) => registerModel('register', false, options);
/** A read/write/compare-and-set register (Knossos `cas-register`, Porcupine's etcd model). */
export const casRegister = (options: RegisterOptions = {}) => registerModel('cas-register', true, options);

/* ------------------------------------------------------------------ kv */

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
  const ids = new Map<string, number>();
  const id = (v: string) => {
    let i = ids.get(v);
    if (i === undefined) {
      i = states.length;
      states.push(v);
      ids.set(v, i);
    }
    return i;
  };
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

/* ------------------------------------------------------------------ multi-register */

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

/* ------------------------------------------------------------------ mutex */

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

/* ------------------------------------------------------------------ queues and sets */

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

/** Every model by its CLI name. */
export const models = {
  register,
  'cas-register': casRegister,
  casRegister,
  kv,
  'multi-register': multiRegister,
  multiRegister,
  mutex,
  'fifo-queue': fifoQueue,
  fifoQueue,
  'unordered-queue': unorderedQueue,
  unorderedQueue,
  set,
} as const;

export const MODEL_NAMES = [
  'register',
  'cas-register',
  'kv',
  'multi-register',
  'mutex',
  'fifo-queue',
  'unordered-queue',
  'set',
] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export interface ModelOptions extends RegisterOptions {}

/** Builds a model from its CLI name and options; undefined for an unknown name. */
export function modelByName(name: string, options: ModelOptions = {}): Model | undefined {
  if (!(MODEL_NAMES as readonly string[]).includes(name)) return undefined;
  const factory = models[name as ModelName] as (o: ModelOptions) => Model;
  return factory(options);
}
