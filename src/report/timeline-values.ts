/** Interning for the timeline's columns: strings as dense ids, values as Int32 payloads and kinds. */
import { interner } from '../checker/intern.js';
import type { Value } from '../history/op.js';
import { doubled, V_INT, V_NULL, V_PAIR, V_TABLE } from './timeline-format.js';

export function stringIds() {
  const list: string[] = [];
  const intern = interner<string, string>(list);
  const id = (s: string) => intern(s, s);
  return { id, list };
}

/** Whether `v` is a pair of int32s (a compare-and-set's [from, to]). */
const intPair = (v: Value): v is [number, number] =>
  Array.isArray(v) &&
  v.length === 2 &&
  typeof v[0] === 'number' &&
  typeof v[1] === 'number' &&
  (v[0] | 0) === v[0] &&
  (v[1] | 0) === v[1];

/**
 * Values as Int32 when they are integers, pairs of integers in a list of their own, else an index
 * into a table of JSON texts (no per-value string for the common register values).
 */
export function valueEncoder() {
  const table: string[] = [];
  const intern = interner<string, string>(table);
  const tableId = (v: Value) => {
    const text = JSON.stringify(v);
    return intern(text, text);
  };
  let pairs = new Int32Array(1024);
  let pairCount = 0;
  return {
    table,
    pairs: () => pairs.subarray(0, 2 * pairCount),
    /** Returns the kind; writes the payload into out[at]. */
    put(v: Value | undefined, out: Int32Array, at: number): number {
      if (v === null || v === undefined) return V_NULL;
      if (typeof v === 'number' && (v | 0) === v && !Object.is(v, -0)) {
        out[at] = v;
        return V_INT;
      }
      if (intPair(v)) {
        if (2 * pairCount + 2 > pairs.length) pairs = doubled(pairs);
        pairs[2 * pairCount] = v[0];
        pairs[2 * pairCount + 1] = v[1];
        out[at] = pairCount++;
        return V_PAIR;
      }
      out[at] = tableId(v);
      return V_TABLE;
    },
  };
}
