/**
 * One key's element ids. Elements are nearly always int32s (the set workload adds integers):
 * those live in an open-addressing table on typed arrays, reused from key to key, so that
 * 10^6 elements cost no allocation (a Map per key allocates its tables anew, and that garbage
 * is what lets a check's big arrays survive into the old generation). Any other element goes
 * to a Map by identity: primitives as themselves, anything else by its JSON. An int32 and
 * another value never share an id, as in a Map (which also takes -0 for 0).
 */
import type { Value } from '../../history/op.js';

export interface Ids {
  /** Slots: element, and id + 1 (0: empty). Only the first mask + 1 are in use for this key. */
  elements: Int32Array;
  ids: Int32Array;
  mask: number;
  /** 32 - log2(mask + 1): the hash keeps the product's top bits. */
  shift: number;
  size: number;
  other: Map<unknown, number>;
}

export function newIds(): Ids {
  return {
    elements: new Int32Array(16),
    ids: new Int32Array(16),
    mask: 15,
    shift: 28,
    size: 0,
    other: new Map(),
  };
}

/** Empties `t` for a key expected to hold about `expected` elements. */
export function resetIds(t: Ids, expected: number): void {
  let bits = 4;
  while (1 << bits < 2 * expected) bits++;
  size(t, bits);
  t.ids.fill(0, 0, t.mask + 1);
  t.size = 0;
  if (t.other.size > 0) t.other.clear();
}

function size(t: Ids, bits: number): void {
  const capacity = 1 << bits;
  if (t.ids.length < capacity) {
    t.elements = new Int32Array(capacity);
    t.ids = new Int32Array(capacity);
  }
  t.mask = capacity - 1;
  t.shift = 32 - bits;
}

/** The id of element `e`; when it has none yet, `next` becomes its id. */
export function idFor(t: Ids, e: Value, next: number): number {
  if (typeof e === 'number' && (e | 0) === e) return intId(t, e | 0, next);
  const k = typeof e === 'object' && e !== null ? JSON.stringify(e) : e;
  const id = t.other.get(k);
  if (id !== undefined) return id;
  t.other.set(k, next);
  return next;
}

function intId(t: Ids, v: number, next: number): number {
  const { elements, ids, mask } = t;
  let h = Math.imul(v, 0x9e3779b1) >>> t.shift;
  for (let id = ids[h]!; id !== 0; id = ids[h]!) {
    if (elements[h] === v) return id - 1;
    h = (h + 1) & mask;
  }
  if (2 * (t.size + 1) > mask + 1) {
    rehash(t);
    return intId(t, v, next);
  }
  elements[h] = v;
  ids[h] = next + 1;
  t.size++;
  return next;
}

/** Doubles the table in use (more elements than the key's rows foretold: reads of strangers). */
function rehash(t: Ids): void {
  const old = { elements: t.elements.slice(0, t.mask + 1), ids: t.ids.slice(0, t.mask + 1) };
  size(t, 33 - t.shift);
  t.ids.fill(0, 0, t.mask + 1);
  t.size = 0;
  for (let h = 0; h < old.ids.length; h++) if (old.ids[h] !== 0) intId(t, old.elements[h]!, old.ids[h]! - 1);
}
