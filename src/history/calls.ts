/**
 * A history's client calls as columns, for a checker that judges calls: read from a file
 * without keeping its events, so a history of 10^6 operations costs neither their objects nor
 * the collector's copying of them, then split by key into Call objects made key by key,
 * adjacent in memory (a pass over one key's calls made in call order missed the cache on
 * nearly every one). What evidence needs of the events (times, nodes, errors) stays in
 * columns too, and a key's operations are made again from them when it is to be explained.
 */
import type { CompletionType, Key, Op, Value } from './op.js';
import { type Call, completed, neverCompleted, OpenCalls, type Operation } from './operations.js';

const OPEN = 0;
const TYPES = { ok: 1, fail: 2, info: 3 } as const;
const TYPE_NAMES = ['info', 'ok', 'fail', 'info'] as const;

/** Calls in call order, as pairOperations pairs them (nemesis events left out). */
export class CallColumns {
  count = 0;
  readonly process: number[] = [];
  readonly f: string[] = [];
  readonly key: Array<Key | undefined> = [];
  readonly input: Value[] = [];
  readonly output: Value[] = [];
  /** The events' optional fields, undefined where absent. */
  readonly node: Array<string | undefined> = [];
  readonly error: Array<string | undefined> = [];
  readonly doneNode: Array<string | undefined> = [];
  readonly doneError: Array<string | undefined> = [];
  type = new Uint8Array(1024);
  call = new Int32Array(1024);
  ret = new Int32Array(1024);
  time = new Float64Array(1024);
  doneTime = new Float64Array(1024);
  private readonly open = new OpenCalls();

  /** Takes the next event of a history whose pairing was checked (a reader's Pairing). */
  take(op: Op): boolean {
    const p = op.process;
    if (p === 'nemesis') return true;
    if (op.type === 'invoke') {
      const slot = this.count++;
      if (slot === this.call.length) this.grow();
      this.process.push(p);
      this.f.push(op.f);
      this.key.push(op.key);
      this.input.push(op.value);
      this.output.push(null);
      this.node.push(op.node);
      this.error.push(op.error);
      this.doneNode.push(undefined);
      this.doneError.push(undefined);
      this.call[slot] = op.index;
      this.time[slot] = op.time;
      this.type[slot] = OPEN;
      this.open.set(p, slot);
      return true;
    }
    const slot = this.open.get(p);
    if (slot === undefined) return false;
    this.open.delete(p);
    this.type[slot] = TYPES[op.type];
    this.ret[slot] = op.index;
    this.doneTime[slot] = op.time;
    this.output[slot] = op.value;
    if (op.node !== undefined) this.doneNode[slot] = op.node;
    if (op.error !== undefined) this.doneError[slot] = op.error;
    return true;
  }

  private grow(): void {
    const n = this.call.length * 2;
    this.type = grown(this.type, new Uint8Array(n));
    this.call = grown(this.call, new Int32Array(n));
    this.ret = grown(this.ret, new Int32Array(n));
    this.time = grown(this.time, new Float64Array(n));
    this.doneTime = grown(this.doneTime, new Float64Array(n));
  }

  /** The events of call `s` as the reader made them (optional fields only when present). */
  invokeOf(s: number): Op & { process: number } {
    return event(
      this.call[s]!,
      this.time[s]!,
      this.process[s]!,
      'invoke',
      this.f[s]!,
      this.input[s]!,
      this.key[s],
      this.error[s],
      this.node[s],
    ) as Op & { process: number };
  }

  completionOf(s: number): Op {
    const type = TYPE_NAMES[this.type[s]!]! as CompletionType;
    return event(
      this.ret[s]!,
      this.doneTime[s]!,
      this.process[s]!,
      type,
      this.f[s]!,
      this.output[s]!,
      this.key[s],
      this.doneError[s],
      this.doneNode[s],
    );
  }
}

function grown<T extends Uint8Array | Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
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

/** Key groups in order of first call, and each call's group. */
function groupIds(c: CallColumns) {
  const ids = new Map<Key | undefined, number>();
  const keys: Array<Key | undefined> = [];
  const counts: number[] = [];
  const group = new Int32Array(c.count);
  for (let s = 0; s < c.count; s++) {
    const k = c.key[s];
    let g = ids.get(k);
    if (g === undefined) {
      g = keys.length;
      ids.set(k, g);
      keys.push(k);
      counts.push(0);
    }
    counts[g]!++;
    group[s] = g;
  }
  return { ids, keys, counts, group };
}

/*
 * Two shapes, as pairOperations has: a never-completed call's return index is +Infinity, which
 * the common shape would then hold boxed in every call; its own shape (fields in another order)
 * keeps the common one's a small integer.
 */
const completedCall = (c: CallColumns, s: number): Call => ({
  process: c.process[s]!,
  f: c.f[s]!,
  key: c.key[s],
  type: TYPE_NAMES[c.type[s]!]!,
  callIndex: c.call[s]!,
  returnIndex: c.ret[s]!,
  input: c.input[s]!,
  output: c.output[s]!,
});

const openCall = (c: CallColumns, s: number): Call => ({
  returnIndex: Number.POSITIVE_INFINITY,
  process: c.process[s]!,
  f: c.f[s]!,
  key: c.key[s],
  type: 'info',
  callIndex: c.call[s]!,
  input: c.input[s]!,
  output: null,
});

/** Calls split by key, and the way back to their events. */
export interface CallGroups {
  /** Groups in order of first call, each in call order. */
  groups: Map<Key | undefined, Call[]>;
  /** A key's operations with their events, made again from the columns (for evidence). */
  operations(key: Key | undefined): Operation[] | undefined;
}

/** The calls by key, made key by key. */
export function callsByKey(c: CallColumns): CallGroups {
  const { ids, keys, counts, group } = groupIds(c);
  const start = new Int32Array(keys.length + 1);
  for (let g = 0; g < keys.length; g++) start[g + 1] = start[g]! + counts[g]!;
  const next = start.slice(0, keys.length);
  const order = new Int32Array(c.count);
  for (let s = 0; s < c.count; s++) order[next[group[s]!]!++] = s;
  const groups = new Map<Key | undefined, Call[]>();
  for (let g = 0; g < keys.length; g++) {
    const calls: Call[] = new Array(counts[g]!);
    for (let j = start[g]!, k = 0; j < start[g + 1]!; j++, k++) {
      const s = order[j]!;
      calls[k] = c.type[s] === OPEN ? openCall(c, s) : completedCall(c, s);
    }
    groups.set(keys[g], calls);
  }
  const operations = (key: Key | undefined): Operation[] | undefined => {
    const g = ids.get(key);
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
