/**
 * The timeline's data, packed for the page: one row per client operation in call order, as
 * typed-array columns built in one pass over the events (no per-operation objects: at 10^6
 * operations the report must be written in seconds), gzipped and base64-encoded into the page.
 * Two blobs: the columns the first frame needs (start as deltas, duration, lane, process, key,
 * node, function, outcome and value kinds), and the values for hovering (decoded on first hover).
 * The page's script (client.ts) unpacks and draws them on a canvas. Lanes pack processes like
 * worker threads: a process retired by an info completion hands its lane on.
 *
 * The pieces: timeline-format.ts (the layout), timeline-values.ts, timeline-pair.ts (the pass
 * over the events), timeline-blob.ts (lanes and the first blob).
 */

import { gunzipSync } from 'node:zlib';
import type { History, Value } from '../history/op.js';
import type { NemesisInterval } from '../nemesis/types.js';
import type { AnomalyMark } from './evidence.js';
import { columnsBlob, gz, packLanes } from './timeline-blob.js';
import {
  type Column,
  columnArray,
  IN,
  type OpColumns,
  OUT,
  type PartialMark,
  rowOf,
  type TimelineMeta,
  V_INT,
  V_NULL,
  V_PAIR,
  V_TABLE,
} from './timeline-format.js';
import { type Paired, pairColumns, toOpColumns } from './timeline-pair.js';

export type { OpColumns, PartialMark, TimelineMeta } from './timeline-format.js';
export { rowOf } from './timeline-format.js';

/** Each process's last completion (a never-completed operation's: the history's end). */
function lastEnds(p: Paired, tEnd: number): Float64Array {
  const lastEnd = new Float64Array(p.procs.length);
  for (let i = 0; i < p.n; i++) {
    const e = Number.isNaN(p.endNs[i]!) ? tEnd : p.endNs[i]!;
    if (e > lastEnd[p.pid[i]!]!) lastEnd[p.pid[i]!] = e;
  }
  return lastEnd;
}

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
  const { laneOf, labels } = packLanes(p.firstStart, lastEnds(p, tEnd), p.procs);
  const { buf, offsets, widths, open } = columnsBlob(p, unit, t0, laneOf);
  const table = Buffer.from(JSON.stringify(p.values.table), 'utf8');
  const pairs = p.values.pairs();
  const io = (a: Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const cols = toOpColumns(p);
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
    faults: faultMarks(intervals, t0, tEnd, unit),
    anomalies: anomalyMarks(anomalies, p),
    partials: partials(cols),
  };
  return {
    meta,
    data: gz([new Uint8Array(buf)]),
    values: gz([io(p.input), io(p.output), io(pairs), table]),
    cols,
  };
}

function faultMarks(intervals: NemesisInterval[], t0: number, tEnd: number, unit: number) {
  return intervals.map((i) => ({
    start: (i.start - t0) / unit,
    end: ((i.end ?? tEnd) - t0) / unit,
    label: `${i.kind}${i.detail ? ` ${i.detail}` : ''}${i.nodes.length ? ` (${i.nodes.join(', ')})` : ''}`,
  }));
}

function anomalyMarks(anomalies: AnomalyMark[], p: Paired) {
  return anomalies.map((a) => ({
    title: a.title,
    text: a.explanation,
    ops: a.events.map((e) => rowOf(p.callIndex, p.n, e)).filter((x) => x >= 0),
    ...(a.key === undefined || a.key === null ? {} : { key: String(a.key) }),
  }));
}

/** The client operations as columns, for a part of the page drawn without the timeline. */
export function opColumns(history: History): OpColumns {
  return toOpColumns(pairColumns(history));
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
  const col = (c: Column) => Array.from(new (columnArray(meta.widths[c]))(ab, meta.offsets[c], meta.count));
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
