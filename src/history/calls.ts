/**
 * A history's client calls as columns, for a checker that judges calls: read from a file
 * without keeping its events, so a history of 10^6 operations costs neither their objects nor
 * the collector's copying of them. Every column is a typed array (strings and keys as ids
 * into tables, values as numbers where they are numbers, null or pairs of them), so another
 * thread's calls join by copying buffers (calls-part.ts). Calls are then made key by key,
 * adjacent in memory (a pass over one key's calls made in call order, among all others',
 * missed the cache on nearly every one). What evidence needs of the events (times, nodes,
 * errors) stays in columns too, and a key's operations are made again from them when it is
 * to be explained.
 */
import type { CompletionType, Key, Op, Value } from './op.js';
import { type Call, completed, neverCompleted, OpenCalls, type Operation } from './operations.js';

const OPEN = 0;
const TYPES = { ok: 1, fail: 2, info: 3 } as const;
const TYPE_NAMES = ['info', 'ok', 'fail', 'info'] as const;
const NONE = -1;

/** Ids of distinct values, in order of first appearance. */
class Table<T> {
  readonly ids = new Map<T, number>();
  readonly list: T[] = [];
  id(v: T): number {
    let i = this.ids.get(v);
    if (i === undefined) {
      i = this.list.length;
      this.ids.set(v, i);
      this.list.push(v);
    }
    return i;
  }
}

/* A value: null, a number, a pair of numbers or nulls (a cas's [expected, new]), or another. */
const V_NULL = 0;
const V_NUMBER = 1;
const V_PAIR = 2; // + 1 when the first is null, + 2 when the second is
const V_OTHER = 6; // a: its place in `others`

/** A value column: kind, and up to two numbers. */
class Values {
  kind: Uint8Array;
  a: Float64Array;
  b: Float64Array;
  others: Value[] = [];
  constructor(n: number) {
    this.kind = new Uint8Array(n);
    this.a = new Float64Array(n);
    this.b = new Float64Array(n);
  }

  set(s: number, v: Value): void {
    if (v === null) this.kind[s] = V_NULL;
    else if (typeof v === 'number') {
      this.kind[s] = V_NUMBER;
      this.a[s] = v;
    } else if (Array.isArray(v) && v.length === 2 && numeric(v[0]!) && numeric(v[1]!)) {
      this.kind[s] = V_PAIR + (v[0] === null ? 1 : 0) + (v[1] === null ? 2 : 0);
      this.a[s] = v[0] ?? 0;
      this.b[s] = v[1] ?? 0;
    } else {
      this.kind[s] = V_OTHER;
      this.a[s] = this.others.length;
      this.others.push(v);
    }
  }

  get(s: number): Value {
    const k = this.kind[s]!;
    if (k === V_NULL) return null;
    if (k === V_NUMBER) return this.a[s]!;
    if (k === V_OTHER) return this.others[this.a[s]!]!;
    const nulls = k - V_PAIR;
    return [nulls & 1 ? null : this.a[s]!, nulls & 2 ? null : this.b[s]!];
  }

  grow(n: number): void {
    this.kind = grown(this.kind, new Uint8Array(n));
    this.a = grown(this.a, new Float64Array(n));
    this.b = grown(this.b, new Float64Array(n));
  }
}

const numeric = (v: Value) => v === null || typeof v === 'number';

function grown<T extends Uint8Array | Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from.subarray(0, Math.min(from.length, to.length)));
  return to;
}

function event(
  index: number,
  time: number,
  process: number,
  type: Op['type'],
  f: string,
  value: Value,
  key: Key | undefined,
  error: string | undefined,
  node: string | undefined,
): Op {
  const op: Op = { index, time, process, type, f, value };
  if (key !== undefined) op.key = key;
  if (error !== undefined) op.error = error;
  if (node !== undefined) op.node = node;
  return op;
}

/** The typed columns of a CallColumns, as another thread sends them. */
export interface EncodedCalls {
  count: number;
  strings: string[];
  keys: Array<Key | undefined>;
  columns: Record<ColumnName, Uint8Array | Int32Array | Float64Array>;
  inOthers: Value[];
  outOthers: Value[];
}

const COLUMNS = [
  'process',
  'f',
  'key',
  'node',
  'error',
  'doneNode',
  'doneError',
  'type',
  'call',
  'ret',
  'time',
  'doneTime',
] as const;
type ColumnName = (typeof COLUMNS)[number] | 'inKind' | 'inA' | 'inB' | 'outKind' | 'outA' | 'outB';

/** The buffers of an encoding, to transfer rather than copy. */
export const encodedBuffers = (e: EncodedCalls): ArrayBuffer[] =>
  Object.values(e.columns).map((c) => c.buffer as ArrayBuffer);

/** Calls in call order, as pairOperations pairs them (nemesis events left out). */
export class CallColumns {
  count = 0;
  private readonly strings = new Table<string>();
  private readonly keys = new Table<Key | undefined>();
  process = new Float64Array(1024);
  f = new Int32Array(1024);
  key = new Int32Array(1024);
  /** The events' optional fields, NONE where absent. */
  node = new Int32Array(1024);
  error = new Int32Array(1024);
  doneNode = new Int32Array(1024);
  doneError = new Int32Array(1024);
  type = new Uint8Array(1024);
  call = new Int32Array(1024);
  ret = new Int32Array(1024);
  time = new Float64Array(1024);
  doneTime = new Float64Array(1024);
  readonly input = new Values(1024);
  readonly output = new Values(1024);
  private readonly open = new OpenCalls();

  private str(s: string | undefined): number {
    return s === undefined ? NONE : this.strings.id(s);
  }

  /** Takes the next event of a history whose pairing was checked (a reader's Pairing). */
  take(op: Op): boolean {
    const p = op.process;
    if (p === 'nemesis') return true;
    if (op.type === 'invoke') {
      const s = this.count++;
      if (s === this.call.length) this.grow(s * 2);
      this.process[s] = p;
      this.f[s] = this.strings.id(op.f);
      this.key[s] = this.keys.id(op.key);
      this.node[s] = this.str(op.node);
      this.error[s] = this.str(op.error);
      this.doneNode[s] = NONE;
      this.doneError[s] = NONE;
      this.call[s] = op.index;
      this.time[s] = op.time;
      this.type[s] = OPEN;
      this.input.set(s, op.value);
      this.output.set(s, null);
      this.open.set(p, s);
      return true;
    }
    const s = this.open.get(p);
    if (s === undefined) return false;
    this.open.delete(p);
    this.type[s] = TYPES[op.type as CompletionType];
    this.ret[s] = op.index;
    this.doneTime[s] = op.time;
    this.output.set(s, op.value);
    if (op.node !== undefined) this.doneNode[s] = this.strings.id(op.node);
    if (op.error !== undefined) this.doneError[s] = this.strings.id(op.error);
    return true;
  }

  private grow(n: number): void {
    const self = this as unknown as Record<(typeof COLUMNS)[number], Float64Array>;
    for (const c of COLUMNS)
      self[c] = grown(self[c], new (self[c].constructor as Float64ArrayConstructor)(n));
    this.input.grow(n);
    this.output.grow(n);
  }

  encode(): EncodedCalls {
    const n = this.count;
    const columns = {} as EncodedCalls['columns'];
    for (const c of COLUMNS) columns[c] = this[c].slice(0, n);
    Object.assign(columns, {
      inKind: this.input.kind.slice(0, n),
      inA: this.input.a.slice(0, n),
      inB: this.input.b.slice(0, n),
      outKind: this.output.kind.slice(0, n),
      outA: this.output.a.slice(0, n),
      outB: this.output.b.slice(0, n),
    });
    const strings = this.strings.list;
    return {
      count: n,
      strings,
      keys: this.keys.list,
      columns,
      inOthers: this.input.others,
      outOthers: this.output.others,
    };
  }

  /** Appends the calls another reader of the file's later part encoded. */
  append(e: EncodedCalls): void {
    const at = this.count;
    const n = e.count;
    if (at + n > this.call.length) this.grow(at + n);
    const c = e.columns;
    for (const name of ['process', 'type', 'call', 'ret', 'time', 'doneTime'] as const)
      (this[name] as Float64Array).set(c[name] as Float64Array, at);
    const strings = e.strings.map((s) => this.str(s));
    const keys = e.keys.map((k) => this.keys.id(k));
    const ids = (from: Int32Array, to: Int32Array, table: number[]) => {
      for (let s = 0; s < n; s++) to[at + s] = from[s] === NONE ? NONE : table[from[s]!]!;
    };
    ids(c.f as Int32Array, this.f, strings);
    ids(c.key as Int32Array, this.key, keys);
    for (const name of ['node', 'error', 'doneNode', 'doneError'] as const)
      ids(c[name] as Int32Array, this[name], strings);
    appendValues(
      this.input,
      at,
      n,
      c.inKind as Uint8Array,
      c.inA as Float64Array,
      c.inB as Float64Array,
      e.inOthers,
    );
    appendValues(
      this.output,
      at,
      n,
      c.outKind as Uint8Array,
      c.outA as Float64Array,
      c.outB as Float64Array,
      e.outOthers,
    );
    this.count += n;
  }

  /** Key ids in order of first call, and the key of each. */
  keyList(): ReadonlyArray<Key | undefined> {
    return this.keys.list;
  }

  keyId(key: Key | undefined): number | undefined {
    return this.keys.ids.get(key);
  }

  stringOf(id: number): string | undefined {
    return id === NONE ? undefined : this.strings.list[id];
  }

  /** The events of call `s` as the reader made them (optional fields only when present). */
  invokeOf(s: number): Op & { process: number } {
    const f = this.stringOf(this.f[s]!)!;
    const key = this.keys.list[this.key[s]!];
    const node = this.stringOf(this.node[s]!);
    const op = event(
      this.call[s]!,
      this.time[s]!,
      this.process[s]!,
      'invoke',
      f,
      this.input.get(s),
      key,
      this.stringOf(this.error[s]!),
      node,
    );
    return op as Op & { process: number };
  }

  completionOf(s: number): Op {
    const type = TYPE_NAMES[this.type[s]!]!;
    const f = this.stringOf(this.f[s]!)!;
    const key = this.keys.list[this.key[s]!];
    const error = this.stringOf(this.doneError[s]!);
    return event(
      this.ret[s]!,
      this.doneTime[s]!,
      this.process[s]!,
      type,
      f,
      this.output.get(s),
      key,
      error,
      this.stringOf(this.doneNode[s]!),
    );
  }
}

function appendValues(
  to: Values,
  at: number,
  n: number,
  kind: Uint8Array,
  a: Float64Array,
  b: Float64Array,
  others: Value[],
) {
  const base = to.others.length;
  to.kind.set(kind, at);
  to.a.set(a, at);
  to.b.set(b, at);
  for (let s = 0; s < n; s++) if (kind[s] === V_OTHER) to.a[at + s] = base + a[s]!;
  for (const v of others) to.others.push(v);
}

/** Calls split by key, and the way back to their events. */
export interface CallGroups {
  /** Groups in order of first call, each in call order. */
  groups: Map<Key | undefined, Call[]>;
  /** A key's operations with their events, made again from the columns (for evidence). */
  operations(key: Key | undefined): Operation[] | undefined;
}

/*
 * Two shapes, as pairOperations has: a never-completed call's return index is +Infinity, which
 * the common shape would then hold boxed in every call; its own shape (fields in another order)
 * keeps the common one's a small integer.
 */
const completedCall = (c: CallColumns, s: number, key: Key | undefined, f: string): Call => ({
  process: c.process[s]!,
  f,
  key,
  type: TYPE_NAMES[c.type[s]!]!,
  callIndex: c.call[s]!,
  returnIndex: c.ret[s]!,
  input: c.input.get(s),
  output: c.output.get(s),
});

const openCall = (c: CallColumns, s: number, key: Key | undefined, f: string): Call => ({
  returnIndex: Number.POSITIVE_INFINITY,
  process: c.process[s]!,
  f,
  key,
  type: 'info',
  callIndex: c.call[s]!,
  input: c.input.get(s),
  output: null,
});

/** The calls by key, made key by key. */
export function callsByKey(c: CallColumns): CallGroups {
  const keys = c.keyList();
  const start = new Int32Array(keys.length + 1);
  for (let s = 0; s < c.count; s++) start[c.key[s]! + 1]!++;
  for (let g = 0; g < keys.length; g++) start[g + 1]! += start[g]!;
  const next = start.slice(0, keys.length);
  const order = new Int32Array(c.count);
  for (let s = 0; s < c.count; s++) order[next[c.key[s]!]!++] = s;
  // Operation names from the table once each (the models compare them with literals).
  const names: string[] = [];
  const name = (id: number) => (names[id] ??= c.stringOf(id)!);
  const groups = new Map<Key | undefined, Call[]>();
  for (let g = 0; g < keys.length; g++) {
    const key = keys[g];
    const calls: Call[] = new Array(start[g + 1]! - start[g]!);
    for (let j = start[g]!, k = 0; j < start[g + 1]!; j++, k++) {
      const s = order[j]!;
      const f = name(c.f[s]!);
      calls[k] = c.type[s] === OPEN ? openCall(c, s, key, f) : completedCall(c, s, key, f);
    }
    groups.set(key, calls);
  }
  const operations = (key: Key | undefined): Operation[] | undefined => {
    const g = c.keyId(key);
    if (g === undefined) return undefined;
    const out: Operation[] = [];
    for (let j = start[g]!; j < start[g + 1]!; j++) {
      const s = order[j]!;
      out.push(
        c.type[s] === OPEN ? neverCompleted(c.invokeOf(s)) : completed(c.invokeOf(s), c.completionOf(s)),
      );
    }
    return out;
  };
  return { groups, operations };
}
