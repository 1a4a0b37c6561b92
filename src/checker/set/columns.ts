/**
 * Collection into columns: one ordered pass over the history's events pairs every client
 * invocation with its completion and keeps the adds and reads, then a counting sort groups
 * them by key. The per-key passes read these columns in order instead of jumping around 10^6
 * event objects, and touch an event only for a read's value (or an add of a non-int element).
 */
import type { Key, Op } from '../../history/op.js';
import { FAIL, INFO, OK } from '../sweep.js';

export const ADD = 1;
export const READ = 2;
/** An add whose element is not an int32: its event holds it. */
export const ADD_OTHER = 3;

/** The columns of adds and reads: one row per invocation, in history order within a key. */
interface Rows {
  /** Invocation and completion positions (completion -1 when none). */
  pos: Int32Array;
  comp: Int32Array;
  /**
   * An add's invocation time or a read's completion time: the only times every element needs
   * (the rarer ones, for stale elements, are read from the events).
   */
  time: Float64Array;
  kind: Uint8Array;
  /** OK, FAIL or INFO (INFO too when never completed). */
  outcome: Uint8Array;
  /** An add's element when it is an int32 (kind ADD). */
  element: Int32Array;
}

/** The rows grouped by key (CSR: key slot s owns rows `start[s]..start[s+1]`). */
export interface Columns extends Rows {
  keys: (Key | undefined)[];
  start: Int32Array;
  /** How many adds (a bound on the first-seen samples). */
  adds: number;
}

function rows(capacity: number): Rows {
  return {
    ...{ pos: new Int32Array(capacity), comp: new Int32Array(capacity) },
    ...{ time: new Float64Array(capacity), kind: new Uint8Array(capacity) },
    ...{ outcome: new Uint8Array(capacity), element: new Int32Array(capacity) },
  };
}

/** Rows in history order, and each one's key slot: what the one pass over the events builds. */
interface Scan {
  rows: Rows;
  slot: Int32Array;
  n: number;
  keys: (Key | undefined)[];
  /** Rows per key slot. */
  count: Int32Array;
  adds: number;
}

function grownInt(a: Int32Array, need: number): Int32Array {
  const b = new Int32Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

/** Doubles the scan's rows (a history with more invocations than completions). */
function grow(s: Scan): void {
  const bigger = rows(s.slot.length * 2);
  for (const name of ['pos', 'comp', 'time', 'kind', 'outcome', 'element'] as const)
    bigger[name].set(s.rows[name] as never);
  s.rows = bigger;
  s.slot = grownInt(s.slot, s.slot.length * 2);
}

/**
 * Key slots by first appearance among client invocations (and completions without one), as
 * `pairEvents` numbers them: the order keys are judged and described in. Successive events
 * often share a key, so the last one is remembered.
 */
function keySlots(scan: Scan) {
  const slots = new Map<Key | undefined, number>();
  let lastKey: Key | undefined;
  let lastSlot = -1;
  return (key: Key | undefined): number => {
    if (lastSlot >= 0 && key === lastKey) return lastSlot;
    let slot = slots.get(key);
    if (slot === undefined) {
      slot = scan.keys.length;
      slots.set(key, slot);
      scan.keys.push(key);
      if (slot === scan.count.length) scan.count = grownInt(scan.count, slot + 1);
    }
    lastKey = key;
    lastSlot = slot;
    return slot;
  };
}

/** Open invocations by process id: 0 none, -1 one that is neither add nor read, else row + 1. */
const NOT_OURS = -1;

function scan(ops: readonly Op[], add: string, read: string): Scan {
  const capacity = (ops.length >>> 1) + 16; // one row per invocation: about half the events
  const s: Scan = {
    ...{ rows: rows(capacity), slot: new Int32Array(capacity), n: 0, keys: [] },
    ...{ count: new Int32Array(64), adds: 0 },
  };
  const slotOf = keySlots(s);
  let open: Int32Array = new Int32Array(64);
  for (let p = 0; p < ops.length; p++) {
    const op = ops[p]!;
    const process = op.process;
    if (process === 'nemesis') continue;
    if (process >= open.length) open = grownInt(open, process + 1);
    if (op.type === 'invoke') {
      const slot = slotOf(op.key);
      const kind = op.f === add ? ADD : op.f === read ? READ : 0;
      open[process] = kind === 0 ? NOT_OURS : s.n + 1;
      if (kind !== 0) invoked(s, op, p, slot, kind);
      continue;
    }
    const row = open[process]! - 1;
    if (row === -1)
      slotOf(op.key); // a completion without invocation: the reader rejects these
    else open[process] = 0;
    if (row < 0) continue;
    const r = s.rows;
    r.comp[row] = p;
    r.outcome[row] = op.type === 'ok' ? OK : op.type === 'fail' ? FAIL : INFO;
    if (r.kind[row] === READ) r.time[row] = op.time;
  }
  return s;
}

function invoked(s: Scan, op: Op, p: number, slot: number, kind: number): void {
  if (s.n === s.slot.length) grow(s);
  const i = s.n++;
  const r = s.rows;
  s.slot[i] = slot;
  s.count[slot]!++;
  r.pos[i] = p;
  r.comp[i] = -1;
  r.outcome[i] = INFO;
  r.kind[i] = kind;
  if (kind !== ADD) return;
  s.adds++;
  r.time[i] = op.time;
  const v = op.value;
  if (typeof v === 'number' && (v | 0) === v) r.element[i] = v;
  else r.kind[i] = ADD_OTHER;
}

/** The adds and reads of `ops`, grouped by key. */
export function columns(ops: readonly Op[], add: string, read: string): Columns {
  const s = scan(ops, add, read);
  const start = new Int32Array(s.keys.length + 1);
  for (let k = 0; k < s.keys.length; k++) start[k + 1] = start[k]! + s.count[k]!;
  const dest = s.slot; // reused: each row's place in key order
  const fill = s.count; // reused: each key's next place
  fill.set(start.subarray(0, s.keys.length));
  for (let i = 0; i < s.n; i++) dest[i] = fill[dest[i]!]!++;
  permute(s.rows, dest, s.n);
  return { ...s.rows, keys: s.keys, start, adds: s.adds };
}

/**
 * Moves row i to dest[i], in place, cycle by cycle (each swap puts one row where it belongs):
 * a second set of columns would double the check's largest allocation.
 */
function permute(r: Rows, dest: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    for (let j = dest[i]!; j !== i; j = dest[i]!) {
      dest[i] = dest[j]!;
      dest[j] = j;
      swapRows(r, i, j);
    }
  }
}

/** Written out column by column: one swap function over three array types would be megamorphic. */
function swapRows({ pos, comp, time, kind, outcome, element }: Rows, i: number, j: number): void {
  const p = pos[i]!;
  pos[i] = pos[j]!;
  pos[j] = p;
  const c = comp[i]!;
  comp[i] = comp[j]!;
  comp[j] = c;
  const t = time[i]!;
  time[i] = time[j]!;
  time[j] = t;
  const k = kind[i]!;
  kind[i] = kind[j]!;
  kind[j] = k;
  const o = outcome[i]!;
  outcome[i] = outcome[j]!;
  outcome[j] = o;
  const e = element[i]!;
  element[i] = element[j]!;
  element[j] = e;
}
