/**
 * The timeline's first blob: processes packed into lanes, and the columns the first frame
 * needs, each at the narrowest width that holds it, gzipped for the page.
 */
import { gzipSync, constants as zlibConstants } from 'node:zlib';
import { type Column, columnArray, OPEN, type TimelineMeta, widthFor } from './timeline-format.js';
import type { Paired } from './timeline-pair.js';

/** Greedy interval packing of processes (dense ids, in order of first operation) into lanes. */
export function packLanes(firstStart: number[], lastEnd: Float64Array, procs: number[]) {
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

/** Each column's width: the narrowest that holds its largest value. */
function columnWidths(p: Paired, unit: number, t0: number, laneOf: Uint32Array): TimelineMeta['widths'] {
  let maxProc = 0;
  for (const x of p.procs) if (x > maxProc) maxProc = x;
  let maxDelta = 0;
  let maxDur = 0;
  for (let i = 0, prev = 0; i < p.n; i++) {
    const s = Math.max(prev, Math.round((p.startNs[i]! - t0) / unit));
    if (s - prev > maxDelta) maxDelta = s - prev;
    prev = s;
    const d = Math.round((p.endNs[i]! - p.startNs[i]!) / unit);
    if (d > maxDur) maxDur = d; // NaN (never completed) compares false
  }
  return {
    start: widthFor(maxDelta),
    // Durations take the width that also holds the "never completed" mark, its all-ones value.
    dur: widthFor(maxDur + 1),
    lane: widthFor(laneOf.reduce((m, l) => Math.max(m, l), 0)),
    proc: widthFor(maxProc),
    key: widthFor(p.keys.list.length),
    node: widthFor(p.nodes.list.length),
    f: widthFor(p.fs.list.length),
    type: 1,
  };
}

export function columnsBlob(p: Paired, unit: number, t0: number, laneOf: Uint32Array) {
  const { n, procs } = p;
  const widths = columnWidths(p, unit, t0, laneOf);
  const open = widths.dur === 1 ? 0xff : widths.dur === 2 ? 0xffff : OPEN;
  // Widest columns first, so every view is aligned.
  const order = (Object.keys(widths) as Column[]).sort((a, b) => widths[b] - widths[a]);
  const offsets = {} as TimelineMeta['offsets'];
  let at = 0;
  for (const c of order) {
    offsets[c] = at;
    at = (at + widths[c] * n + 3) & ~3;
  }
  const buf = new ArrayBuffer(at);
  const view = (c: Column) => new (columnArray(widths[c]))(buf, offsets[c], n);
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
export const gz = (parts: Uint8Array[]) =>
  gzipSync(Buffer.concat(parts), { level: 1, strategy: zlibConstants.Z_RLE }).toString('base64');
