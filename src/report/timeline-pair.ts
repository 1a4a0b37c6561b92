/**
 * The client operations as columns, in one pass over the events: each invocation is a row (in
 * call order), paired with its process's next completion; no per-operation objects.
 */
import type { History } from '../history/op.js';
import { doubled, IN, type OpColumns, OUT, TYPE_CODE, V_NONE } from './timeline-format.js';
import { stringIds, valueEncoder } from './timeline-values.js';

type Event = History['ops'][number];

/** Dense slots for process numbers: a typed array for small non-negative ones, a map otherwise. */
function processSlots() {
  let small = new Int32Array(256).fill(-1);
  const big = new Map<number, number>();
  return {
    get: (p: number) => (p >= 0 && p < small.length && (p | 0) === p ? small[p]! : (big.get(p) ?? -1)),
    set(p: number, slot: number) {
      if ((p | 0) === p && p >= 0 && p < 1 << 22) {
        while (p >= small.length) small = doubled(small, -1);
        small[p] = slot;
      } else big.set(p, slot);
    },
  };
}

/** Empty columns for `n` operations (each open, no output, until its completion is seen). */
function emptyColumns(n: number) {
  const nodes = stringIds();
  nodes.id('');
  return {
    n,
    startNs: new Float64Array(n),
    endNs: new Float64Array(n).fill(Number.NaN),
    callIndex: new Int32Array(n),
    pid: new Uint32Array(n),
    key: new Uint32Array(n),
    node: new Uint16Array(n),
    f: new Uint16Array(n),
    type: new Uint8Array(n).fill(2 | (V_NONE << OUT)),
    input: new Int32Array(n),
    output: new Int32Array(n),
    /** Process numbers by dense id, in order of first operation, and each one's first start. */
    procs: [] as number[],
    firstStart: [] as number[],
    keys: stringIds(),
    nodes,
    fs: stringIds(),
    values: valueEncoder(),
  };
}

export type Paired = ReturnType<typeof emptyColumns>;

/** Where the pass over the events is. */
interface Cursor {
  slots: ReturnType<typeof processSlots>;
  /** Per process slot: its open operation's row + 1 (0: none open). */
  openRow: Int32Array;
  lastKey: unknown;
  lastKeyId: number;
  /** The next row. */
  row: number;
}

function invoke(p: Paired, c: Cursor, e: Event): void {
  const process = e.process as number;
  let slot = c.slots.get(process);
  if (slot < 0) {
    slot = p.procs.length;
    p.procs.push(process);
    c.slots.set(process, slot);
    p.firstStart.push(e.time);
    if (slot >= c.openRow.length) c.openRow = doubled(c.openRow);
  }
  const i = c.row;
  p.startNs[i] = e.time;
  p.callIndex[i] = e.index;
  p.pid[i] = slot;
  // Runs of one key are common; skip the map then.
  if (e.key !== c.lastKey || i === 0) {
    c.lastKey = e.key;
    c.lastKeyId = p.keys.id(e.key === undefined ? '' : String(e.key));
  }
  p.key[i] = c.lastKeyId;
  p.node[i] = e.node ? p.nodes.id(e.node) : 0;
  p.f[i] = p.fs.id(e.f);
  p.type[i] = 2 | (p.values.put(e.value, p.input, i) << IN) | (V_NONE << OUT);
  c.openRow[slot] = ++c.row; // row + 1: 0 is "none open"
}

function complete(p: Paired, c: Cursor, e: Event): void {
  const slot = c.slots.get(e.process as number);
  const row = slot < 0 ? -1 : c.openRow[slot]! - 1;
  if (row < 0) return; // buildHistory rejects these; tolerate hand-made histories
  c.openRow[slot] = 0;
  p.endNs[row] = e.time;
  if (p.node[row] === 0 && e.node) p.node[row] = p.nodes.id(e.node);
  const out = e.type === 'ok' ? p.values.put(e.value, p.output, row) : V_NONE;
  p.type[row] = TYPE_CODE[e.type]! | (p.type[row]! & 0b11100) | (out << OUT);
}

/** The client operations' columns, pairing each invocation with its process's next completion. */
export function pairColumns(history: History): Paired {
  const events = history.ops;
  let n = 0;
  for (const e of events) if (e.type === 'invoke' && e.process !== 'nemesis') n++;
  const p = emptyColumns(n);
  const c: Cursor = {
    slots: processSlots(),
    openRow: new Int32Array(64),
    lastKey: undefined,
    lastKeyId: 0,
    row: 0,
  };
  for (const e of events) {
    if (e.process === 'nemesis') continue;
    if (e.type === 'invoke') invoke(p, c, e);
    else complete(p, c, e);
  }
  return p;
}

/** The columns the page's other parts read (outcomes without the value kinds). */
export function toOpColumns(p: Paired): OpColumns {
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
