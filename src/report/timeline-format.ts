/**
 * The timeline's packed format, shared by the packing (timeline.ts and its parts) and the
 * Node-side unpacking: the meta the page reads, the column widths, the value kinds in the
 * type byte. The page's script (client.ts) reads the same layout with its own copy of it.
 */

export type Column = 'start' | 'dur' | 'lane' | 'proc' | 'key' | 'node' | 'f' | 'type';

/** A partial linearization of one key, as the page draws it (ordinals are timeline rows). */
export interface PartialMark {
  key: string;
  /** Rows in linearization order. */
  ops: number[];
  /** Row of the operation the search could not linearize next, or -1. */
  stuck: number;
  /** The model state after each of the last steps (from step `statesFrom` on). */
  states: string[];
  statesFrom: number;
}

export interface TimelineMeta {
  count: number;
  /** Nanoseconds per unit of the start/duration columns; time 0 is the first event's. */
  unit: number;
  t0: number;
  lanes: number;
  laneLabels: string[];
  keys: string[];
  nodes: string[];
  fs: string[];
  /** Byte offsets and widths (1, 2 or 4 bytes, unsigned) of the columns in the unpacked buffer. */
  offsets: Record<Column, number>;
  widths: Record<Column, 1 | 2 | 4>;
  /** `start` holds each row's start minus the previous row's (rows are in start order). */
  startDeltas: true;
  /** The value blob: Int32 input and output columns, pairs (Int32 x, y each), then the JSON table of other values. */
  values: { input: number; output: number; pairs: number; pairCount: number; table: number };
  faults: Array<{ start: number; end: number; label: string }>;
  anomalies: Array<{ title: string; text: string; ops: number[]; key?: string }>;
  partials: PartialMark[];
  /** Never completed: duration column value (all ones in its width). */
  open: number;
}

/** The packed operations, kept for the page's other parts (plots) to read without re-pairing. */
export interface OpColumns {
  n: number;
  /** Invocation and completion times in ns (completion NaN when never completed). */
  startNs: Float64Array;
  endNs: Float64Array;
  /** 0 ok, 1 fail, 2 info. */
  type: Uint8Array;
  f: Uint16Array;
  fs: string[];
  /** Event index of each invocation (ascending). */
  callIndex: Int32Array;
}

export const OPEN = 0xffffffff;
export const TYPE_CODE: Record<string, number> = { ok: 0, fail: 1, info: 2 };
/** Value kinds in the type byte (bits 2–4 input, 5–7 output). */
export const V_NULL = 0;
export const V_INT = 1;
export const V_TABLE = 2;
export const V_NONE = 3;
/** A pair of int32s (a compare-and-set's [from, to]): the index of the pair in the pair list. */
export const V_PAIR = 4;
export const IN = 2;
export const OUT = 5;

export const widthFor = (max: number): 1 | 2 | 4 => (max < 0x100 ? 1 : max < 0x10000 ? 2 : 4);

/** The unsigned typed array of a column's width. */
export const columnArray = (width: number) =>
  width === 1 ? Uint8Array : width === 2 ? Uint16Array : Uint32Array;

/** `a` in an array twice its length (the rest `fill`), for columns that grow as they are read. */
export function doubled(a: Int32Array, fill = 0): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(a.length * 2);
  if (fill !== 0) grown.fill(fill);
  grown.set(a);
  return grown;
}

/** Row of the operation invoked at event `index` (binary search over call order), or -1. */
export function rowOf(callIndex: Int32Array, n: number, index: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = callIndex[mid]!;
    if (c === index) return mid;
    if (c < index) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
