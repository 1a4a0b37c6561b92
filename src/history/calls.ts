/**
 * A history's client calls as columns, for a checker that needs only calls (a verdict, not
 * the events behind its evidence): read from a file without keeping its events, so a history
 * of 10^6 operations costs neither their objects nor the collector's copying of them, then
 * split by key into Call objects made key by key, adjacent in memory (a pass over one key's
 * calls made in call order missed the cache on nearly every one).
 */
import type { Key, Op, Value } from './op.js';
import { type Call, OpenCalls } from './operations.js';

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
  type = new Uint8Array(1024);
  call = new Int32Array(1024);
  ret = new Int32Array(1024);
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
      this.call[slot] = op.index;
      this.type[slot] = OPEN;
      this.open.set(p, slot);
      return true;
    }
    const slot = this.open.get(p);
    if (slot === undefined) return false;
    this.open.delete(p);
    this.type[slot] = TYPES[op.type];
    this.ret[slot] = op.index;
    this.output[slot] = op.value;
    return true;
  }

  private grow(): void {
    const n = this.call.length * 2;
    const type = new Uint8Array(n);
    const call = new Int32Array(n);
    const ret = new Int32Array(n);
    type.set(this.type);
    call.set(this.call);
    ret.set(this.ret);
    this.type = type;
    this.call = call;
    this.ret = ret;
  }
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
  return { keys, counts, group };
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

/** The calls by key (groups in order of first call, each in call order), made key by key. */
export function callsByKey(c: CallColumns): Map<Key | undefined, Call[]> {
  const { keys, counts, group } = groupIds(c);
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
  return groups;
}
