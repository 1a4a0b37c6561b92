/**
 * The timeline's data, packed for the page: one row per client operation in call order, as
 * typed-array columns built in one pass over the events (no per-operation objects: at 10^6
 * operations the report must be written in seconds), gzipped and base64-encoded into the page.
 * Two blobs: the columns the first frame needs (start as deltas, duration, lane, process, key,
 * node, function, outcome and value kinds), and the values for hovering (decoded on first hover).
 * The page's script (client.ts) unpacks and draws them on a canvas. Lanes pack processes like
 * worker threads: a process retired by an info completion hands its lane on.
 */

import { gunzipSync, gzipSync, constants as zlibConstants } from 'node:zlib';
import { interner } from '../checker/intern.js';
import type { History, Value } from '../history/op.js';
import type { NemesisInterval } from '../nemesis/types.js';
import type { AnomalyMark } from './evidence.js';

type Column = 'start' | 'dur' | 'lane' | 'proc' | 'key' | 'node' | 'f' | 'type';

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

const OPEN = 0xffffffff;
const TYPE_CODE: Record<string, number> = { ok: 0, fail: 1, info: 2 };
/** Value kinds in the type byte (bits 2–4 input, 5–7 output). */
const V_NULL = 0;
const V_INT = 1;
const V_TABLE = 2;
const V_NONE = 3;
/** A pair of int32s (a compare-and-set's [from, to]): the index of the pair in the pair list. */
const V_PAIR = 4;
const IN = 2;
const OUT = 5;

const widthFor = (max: number): 1 | 2 | 4 => (max < 0x100 ? 1 : max < 0x10000 ? 2 : 4);

function stringIds() {
  const list: string[] = [];
  const intern = interner<string, string>(list);
  const id = (s: string) => intern(s, s);
  return { id, list };
}

/**
 * Values as Int32 when they are integers, pairs of integers in a list of their own, else an index
 * into a table of JSON texts (no per-value string for the common register values).
 */
function valueEncoder() {
  const table: string[] = [];
  const ids = new Map<string, number>();
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
      if (Array.isArray(v) && v.length === 2) {
        const [x, y] = v;
        if (typeof x === 'number' && typeof y === 'number' && (x | 0) === x && (y | 0) === y) {
          if (2 * pairCount + 2 > pairs.length) {
            const grown = new Int32Array(pairs.length * 2);
            grown.set(pairs);
            pairs = grown;
          }
          pairs[2 * pairCount] = x;
          pairs[2 * pairCount + 1] = y;
          out[at] = pairCount++;
          return V_PAIR;
        }
      }
      const text = JSON.stringify(v);
      let id = ids.get(text);
      if (id === undefined) {
        id = table.length;
        table.push(text);
        ids.set(text, id);
      }
      out[at] = id;
      return V_TABLE;
    },
  };
}

/** Greedy interval packing of processes (dense ids, in order of first operation) into lanes. */
function packLanes(firstStart: number[], lastEnd: Float64Array, procs: number[]) {
  const laneEnd: number[] = [];
  const laneProcs: number[][] = [];
  const laneOf = new Uint32Array(firstStart.length);
  for (let p = 0; p < firstStart.length; p++) {
    let lane = laneEnd.findIndex((end) => end < firstStart[p]!);
    if (lane < 0) {
      lane = laneEnd.length;
      laneEnd.push(0);
      laneProcs.push([]);
    }
    laneEnd[lane] = lastEnd[p]!;
    laneProcs[lane]!.push(procs[p]!);
    laneOf[p] = lane;
  }
  const label = (ps: number[]) =>
    ps.length <= 3 ? ps.join(', ') : `${ps.slice(0, 2).join(', ')}, … ${ps.length}`;
  return { laneOf, labels: laneProcs.map(label) };
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

/** Dense slots for process numbers: a typed array for small non-negative ones, a map otherwise. */
function processSlots() {
  let small = new Int32Array(256).fill(-1);
  const big = new Map<number, number>();
  return {
    get: (p: number) => (p >= 0 && p < small.length && (p | 0) === p ? small[p]! : (big.get(p) ?? -1)),
    set(p: number, slot: number) {
      if ((p | 0) === p && p >= 0 && p < 1 << 22) {
        while (p >= small.length) {
          const grown = new Int32Array(small.length * 2).fill(-1);
          grown.set(small);
          small = grown;
        }
        small[p] = slot;
      } else big.set(p, slot);
    },
  };
}

/** The client operations' columns, pairing each invocation with its process's next completion. */
function pairColumns(history: History) {
  const events = history.ops;
  let n = 0;
  for (const e of events) if (e.type === 'invoke' && e.process !== 'nemesis') n++;
  const startNs = new Float64Array(n);
  const endNs = new Float64Array(n).fill(Number.NaN);
  const callIndex = new Int32Array(n);
  const pid = new Uint32Array(n);
  const key = new Uint32Array(n);
  const node = new Uint16Array(n);
  const f = new Uint16Array(n);
  const type = new Uint8Array(n).fill(2 | (V_NONE << OUT));
  const input = new Int32Array(n);
  const output = new Int32Array(n);
  const keys = stringIds();
  const nodes = stringIds();
  nodes.id('');
  const fs = stringIds();
  const values = valueEncoder();
  const procs: number[] = [];
  const slots = processSlots();
  const firstStart: number[] = [];
  let openRow = new Int32Array(64);
  let lastKey: unknown;
  let lastKeyId = 0;
  let i = 0;
  for (const e of events) {
    if (e.process === 'nemesis') continue;
    let p = slots.get(e.process);
    if (e.type === 'invoke') {
      if (p < 0) {
        p = procs.length;
        procs.push(e.process);
        slots.set(e.process, p);
        firstStart.push(e.time);
        if (p >= openRow.length) {
          const grown = new Int32Array(openRow.length * 2);
          grown.set(openRow);
          openRow = grown;
        }
      }
      startNs[i] = e.time;
      callIndex[i] = e.index;
      pid[i] = p;
      // Runs of one key are common; skip the map then.
      if (e.key !== lastKey || i === 0) {
        lastKey = e.key;
        lastKeyId = keys.id(e.key === undefined ? '' : String(e.key));
      }
      key[i] = lastKeyId;
      node[i] = e.node ? nodes.id(e.node) : 0;
      f[i] = fs.id(e.f);
      type[i] = 2 | (values.put(e.value, input, i) << IN) | (V_NONE << OUT);
      openRow[p] = ++i; // row + 1: 0 is "none open"
    } else {
      const row = p < 0 ? -1 : openRow[p]! - 1;
      if (row < 0) continue; // buildHistory rejects these; tolerate hand-made histories
      openRow[p] = 0;
      endNs[row] = e.time;
      if (node[row] === 0 && e.node) node[row] = nodes.id(e.node);
      const out = e.type === 'ok' ? values.put(e.value, output, row) : V_NONE;
      type[row] = TYPE_CODE[e.type]! | (type[row]! & 0b11100) | (out << OUT);
    }
  }
  return {
    n,
    startNs,
    endNs,
    callIndex,
    pid,
    key,
    node,
    f,
    type,
    input,
    output,
    procs,
    firstStart,
    keys,
    nodes,
    fs,
    values,
  };
}

type Paired = ReturnType<typeof pairColumns>;

function columnsBlob(p: Paired, unit: number, t0: number, laneOf: Uint32Array) {
  const { n } = p;
  const procs = p.procs;
  let maxProc = 0;
  for (const x of procs) if (x > maxProc) maxProc = x;
  let maxDelta = 0;
  let maxDur = 0;
  for (let i = 0, prev = 0; i < n; i++) {
    const s = Math.max(prev, Math.round((p.startNs[i]! - t0) / unit));
    if (s - prev > maxDelta) maxDelta = s - prev;
    prev = s;
    const d = Math.round((p.endNs[i]! - p.startNs[i]!) / unit);
    if (d > maxDur) maxDur = d; // NaN (never completed) compares false
  }
  // Durations take the width that also holds the "never completed" mark, its all-ones value.
  const durWidth = widthFor(maxDur + 1);
  const open = durWidth === 1 ? 0xff : durWidth === 2 ? 0xffff : OPEN;
  const widths: TimelineMeta['widths'] = {
    start: widthFor(maxDelta),
    dur: durWidth,
    lane: widthFor(laneOf.reduce((m, l) => Math.max(m, l), 0)),
    proc: widthFor(maxProc),
    key: widthFor(p.keys.list.length),
    node: widthFor(p.nodes.list.length),
    f: widthFor(p.fs.list.length),
    type: 1,
  };
  // Widest columns first, so every view is aligned.
  const order = (Object.keys(widths) as Column[]).sort((a, b) => widths[b] - widths[a]);
  const offsets = {} as TimelineMeta['offsets'];
  let at = 0;
  for (const c of order) {
    offsets[c] = at;
    at = (at + widths[c] * n + 3) & ~3;
  }
  const buf = new ArrayBuffer(at);
  const view = (c: Column) => {
    const C = widths[c] === 1 ? Uint8Array : widths[c] === 2 ? Uint16Array : Uint32Array;
    return new C(buf, offsets[c], n);
  };
  const start = view('start');
  const dur = view('dur');
  const lane = view('lane');
  const proc = view('proc');
  let prev = 0;
  for (let i = 0; i < n; i++) {
    // Rows are in event order, which the history says is time order; a hand-made history that
    // goes back in time is drawn with that row at the previous one's start.
    const s = Math.max(prev, Math.round((p.startNs[i]! - t0) / unit));
    start[i] = s - prev;
    prev = s;
    const e = p.endNs[i]!;
    dur[i] = Number.isNaN(e) ? open : Math.round((e - p.startNs[i]!) / unit);
    lane[i] = laneOf[p.pid[i]!]!;
    proc[i] = procs[p.pid[i]!]!;
  }
  view('key').set(p.key);
  view('node').set(p.node);
  view('f').set(p.f);
  view('type').set(p.type);
  return { buf, offsets, widths, open };
}

// Run-length plus Huffman coding: several times faster than deflate's level 1 on these columns
// (small integers, runs of zeros) and about as small; any gzip reader, DecompressionStream too.
const gz = (parts: Uint8Array[]) =>
  gzipSync(Buffer.concat(parts), { level: 1, strategy: zlibConstants.Z_RLE }).toString('base64');

export function packTimeline(
  history: History,
  intervals: NemesisInterval[],
  anomalies: AnomalyMark[],
  partials: (cols: OpColumns) => PartialMark[] = () => [],
): { meta: TimelineMeta; data: string; values: string; cols: OpColumns } {
  const t0 = history.ops[0]?.time ?? 0;
  const tEnd = history.ops[history.ops.length - 1]?.time ?? t0;
  const unit = Math.max(1000, Math.ceil((tEnd - t0 + 1) / 0xfffffff0));
  const p = pairColumns(history);
  const lastEnd = new Float64Array(p.procs.length);
  for (let i = 0; i < p.n; i++) {
    const e = Number.isNaN(p.endNs[i]!) ? tEnd : p.endNs[i]!;
    if (e > lastEnd[p.pid[i]!]!) lastEnd[p.pid[i]!] = e;
  }
  const { laneOf, labels } = packLanes(p.firstStart, lastEnd, p.procs);
  const { buf, offsets, widths, open } = columnsBlob(p, unit, t0, laneOf);
  const table = Buffer.from(JSON.stringify(p.values.table), 'utf8');
  const pairs = p.values.pairs();
  const io = (a: Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const cols: OpColumns = {
    n: p.n,
    startNs: p.startNs,
    endNs: p.endNs,
    type: p.type.map((t) => t & 3),
    f: p.f,
    fs: p.fs.list,
    callIndex: p.callIndex,
  };
  const meta: TimelineMeta = {
    count: p.n,
    unit,
    t0,
    lanes: labels.length,
    laneLabels: labels,
    keys: p.keys.list,
    nodes: p.nodes.list,
    fs: p.fs.list,
    offsets,
    widths,
    startDeltas: true,
    values: {
      input: 0,
      output: 4 * p.n,
      pairs: 8 * p.n,
      pairCount: pairs.length / 2,
      table: 8 * p.n + 4 * pairs.length,
    },
    open,
    faults: intervals.map((i) => ({
      start: (i.start - t0) / unit,
      end: ((i.end ?? tEnd) - t0) / unit,
      label: `${i.kind}${i.detail ? ` ${i.detail}` : ''}${i.nodes.length ? ` (${i.nodes.join(', ')})` : ''}`,
    })),
    anomalies: anomalies.map((a) => ({
      title: a.title,
      text: a.explanation,
      ops: a.events.map((e) => rowOf(p.callIndex, p.n, e)).filter((x) => x >= 0),
      ...(a.key === undefined || a.key === null ? {} : { key: String(a.key) }),
    })),
    partials: partials(cols),
  };
  return {
    meta,
    data: gz([new Uint8Array(buf)]),
    values: gz([io(p.input), io(p.output), io(pairs), table]),
    cols,
  };
}

/** The client operations as columns, for a part of the page drawn without the timeline. */
export function opColumns(history: History): OpColumns {
  const p = pairColumns(history);
  return {
    n: p.n,
    startNs: p.startNs,
    endNs: p.endNs,
    type: p.type.map((t) => t & 3),
    f: p.f,
    fs: p.fs.list,
    callIndex: p.callIndex,
  };
}

/** What the linearizability checker's evidence gives per refuted key (see KeyEvidence). */
interface PartialSource {
  key: unknown;
  op?: { invokeIndex: number };
  longest: Array<Array<{ op: { invokeIndex: number }; state: string }>>;
}

const STATES_KEPT = 500;

/** The longest partial linearizations (up to 3 per key, 20 keys) as timeline rows. */
export function partialMarks(failures: readonly PartialSource[], cols: OpColumns): PartialMark[] {
  const row = (e: number) => rowOf(cols.callIndex, cols.n, e);
  // A search that gives no partial linearization (the unique-writes algorithm's) still names the
  // operation it got stuck at: shown alone.
  return failures.slice(0, 20).flatMap((f) =>
    (f.longest.length === 0 && f.op ? [[]] : f.longest.slice(0, 3)).map((steps) => {
      const statesFrom = Math.max(0, steps.length - STATES_KEPT);
      return {
        key: f.key === null || f.key === undefined ? '' : String(f.key),
        ops: steps.map((s) => row(s.op.invokeIndex)),
        stuck: f.op ? row(f.op.invokeIndex) : -1,
        states: steps.slice(statesFrom).map((s) => s.state),
        statesFrom,
      };
    }),
  );
}

/** The page's unpacking, in Node (for tests): rows' absolute start, duration, lane, values. */
export function unpackTimeline(meta: TimelineMeta, data: string, values: string) {
  const buf = gunzipSync(Buffer.from(data, 'base64'));
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const col = (c: Column) => {
    const C = meta.widths[c] === 1 ? Uint8Array : meta.widths[c] === 2 ? Uint16Array : Uint32Array;
    return Array.from(new C(ab, meta.offsets[c], meta.count));
  };
  const start = col('start');
  for (let i = 1; i < start.length; i++) start[i]! += start[i - 1]!;
  const v = gunzipSync(Buffer.from(values, 'base64'));
  const vb = v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength);
  const input = new Int32Array(vb, meta.values.input, meta.count);
  const output = new Int32Array(vb, meta.values.output, meta.count);
  const pairs = new Int32Array(vb, meta.values.pairs, 2 * meta.values.pairCount);
  const table = JSON.parse(v.subarray(meta.values.table).toString('utf8')) as string[];
  const type = col('type');
  const value = (kind: number, x: number): Value | undefined =>
    kind === V_NULL
      ? null
      : kind === V_INT
        ? x
        : kind === V_PAIR
          ? [pairs[2 * x]!, pairs[2 * x + 1]!]
          : kind === V_TABLE
            ? JSON.parse(table[x]!)
            : undefined;
  return {
    start,
    dur: col('dur'),
    lane: col('lane'),
    proc: col('proc'),
    key: col('key').map((k) => meta.keys[k]!),
    type: type.map((t) => ['ok', 'fail', 'info'][t & 3]!),
    input: (i: number) => value((type[i]! >> IN) & 7, input[i]!),
    output: (i: number) => value((type[i]! >> OUT) & 7, output[i]!),
  };
}
