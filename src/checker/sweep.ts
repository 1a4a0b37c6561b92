/**
 * Shared by the set and counter checkers: one pass that pairs every client invocation with its
 * completion on typed arrays (no object per operation), keys mapped to dense slots, and
 * nearest-rank quantiles.
 */
import type { Key, Op } from '../history/op.js';

export const NONE = 0;
export const OK = 1;
export const FAIL = 2;
export const INFO = 3;

export interface Pairing {
  /** For an invocation's position: its completion's position, or -1 when it has none. */
  completion: Int32Array;
  /** For an invocation's position: OK, FAIL or INFO (an invocation never completed is INFO). */
  outcome: Uint8Array;
  /** For every position: its key's dense slot (0 for operations without a key). */
  keySlot: Int32Array;
  keys: (Key | undefined)[];
  /** Every event's time, packed: later random accesses stay in a small array, not 10^6 objects. */
  time: Float64Array;
}

export function pairEvents(ops: readonly Op[]): Pairing {
  const n = ops.length;
  const completion = new Int32Array(n).fill(-1);
  const outcome = new Uint8Array(n);
  const keySlot = new Int32Array(n);
  const time = new Float64Array(n);
  const slots = new Map<Key | undefined, number>();
  const keys: (Key | undefined)[] = [];
  // Open invocations by process id (ids are small integers, renewed after info): +1, 0 = none.
  let open = new Int32Array(64);
  let lastKey: Key | undefined;
  let lastSlot = -1;
  const slotOf = (key: Key | undefined) => {
    if (lastSlot < 0 || key !== lastKey) {
      let slot = slots.get(key);
      if (slot === undefined) {
        slot = keys.length;
        slots.set(key, slot);
        keys.push(key);
      }
      lastKey = key;
      lastSlot = slot;
    }
    return lastSlot;
  };
  for (let p = 0; p < n; p++) {
    const op = ops[p]!;
    const process = op.process;
    time[p] = op.time;
    if (process === 'nemesis') continue;
    if (process >= open.length) open = grown(open, process + 1);
    if (op.type === 'invoke') {
      keySlot[p] = slotOf(op.key);
      open[process] = p + 1;
      outcome[p] = INFO;
      continue;
    }
    const inv = open[process]! - 1;
    // A completion has its invocation's key (the history's reader checks it): no lookup.
    if (inv < 0) {
      keySlot[p] = slotOf(op.key);
      continue; // a completion without invocation: the reader rejects these
    }
    keySlot[p] = keySlot[inv]!;
    open[process] = 0;
    completion[inv] = p;
    outcome[inv] = op.type === 'ok' ? OK : op.type === 'fail' ? FAIL : INFO;
  }
  return { completion, outcome, keySlot, keys, time };
}

function grown(a: Int32Array, need: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

export interface Quantiles {
  count: number;
  p50: number;
  p95: number;
  max: number;
}

/**
 * Nearest-rank quantiles of the first `count` samples (reordered in place); null when none.
 * Selection, not a sort: O(count).
 */
export function quantiles(samples: Float64Array, count: number): Quantiles | null {
  if (count === 0) return null;
  const a = samples.subarray(0, count);
  const rank = (q: number) => Math.min(count - 1, Math.max(0, Math.ceil(q * count) - 1));
  const r95 = rank(0.95);
  const r50 = rank(0.5);
  select(a, r95, 0, count - 1);
  select(a, r50, 0, r95);
  let max = a[r95]!;
  for (let i = r95 + 1; i < count; i++) if (a[i]! > max) max = a[i]!;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return { count, p50: round(a[r50]!), p95: round(a[r95]!), max: round(max) };
}

/** Hoare's quickselect: puts the k-th smallest of a[lo..hi] at k, smaller before, larger after. */
function select(a: Float64Array, k: number, lo: number, hi: number): void {
  while (hi > lo) {
    const pivot = median3(a[lo]!, a[(lo + hi) >>> 1]!, a[hi]!);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i++] = a[j]!;
        a[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

const median3 = (x: number, y: number, z: number) => Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));

/** Growable Int32 storage, for lists whose length is known only at the end. */
export class IntList {
  data: Int32Array;
  constructor(capacity = 16) {
    this.data = new Int32Array(capacity);
  }
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) this.data = grown(this.data, this.length + 1);
    this.data[this.length++] = v;
  }
}

export const nsToMs = (ns: number) => ns / 1e6;
