/**
 * The timeline's data, packed for the page: one row per client operation in call order, as
 * typed-array columns (start and duration in a fixed unit, lane, process, key, node, outcome,
 * function) and a text column of arguments and results for hovering, gzipped and base64-encoded
 * into the page; the page's script (client.ts) unpacks and draws it on a canvas. Lanes pack
 * processes like worker threads: a process retired by an info completion hands its lane on.
 */

import { gzipSync } from 'node:zlib';
import { interner } from '../checker/intern.js';
import type { History } from '../history/op.js';
import type { Operation } from '../history/operations.js';
import type { NemesisInterval } from '../nemesis/types.js';
import type { AnomalyMark } from './evidence.js';

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
  /** Byte offsets of the columns in the unpacked buffer. */
  offsets: Record<'start' | 'dur' | 'lane' | 'proc' | 'key' | 'node' | 'type' | 'f' | 'text', number>;
  faults: Array<{ start: number; end: number; label: string }>;
  anomalies: Array<{ title: string; text: string; ops: number[] }>;
  /** Never completed (or info): duration column value. */
  open: number;
}

const OPEN = 0xffffffff;
const TYPES = { ok: 0, fail: 1, info: 2 } as const;

/** Greedy interval packing of processes into lanes, in order of their first operation. */
function packLanes(ops: readonly Operation[], endOf: (o: Operation) => number) {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  for (const o of ops) {
    if (!first.has(o.process)) first.set(o.process, o.invoke.time);
    last.set(o.process, Math.max(last.get(o.process) ?? 0, endOf(o)));
  }
  const laneEnd: number[] = [];
  const laneProcs: number[][] = [];
  const laneOf = new Map<number, number>();
  for (const [p, start] of first) {
    let lane = laneEnd.findIndex((end) => end < start);
    if (lane < 0) {
      lane = laneEnd.length;
      laneEnd.push(0);
      laneProcs.push([]);
    }
    laneEnd[lane] = last.get(p)!;
    laneProcs[lane]!.push(p);
    laneOf.set(p, lane);
  }
  const label = (ps: number[]) =>
    ps.length <= 3 ? ps.join(', ') : `${ps.slice(0, 2).join(', ')}, … ${ps.length}`;
  return { laneOf, labels: laneProcs.map(label) };
}

function stringIds() {
  const list: string[] = [];
  const intern = interner<string, string>(list);
  const id = (s: string) => intern(s, s);
  return { id, list };
}

/** Ordinal of the operation invoked at event `index` (binary search over call order), or -1. */
export function ordinalOf(ops: readonly Operation[], index: number): number {
  let lo = 0;
  let hi = ops.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = ops[mid]!.callIndex;
    if (c === index) return mid;
    if (c < index) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

export function packTimeline(
  history: History,
  ops: readonly Operation[],
  intervals: NemesisInterval[],
  anomalies: AnomalyMark[],
): { meta: TimelineMeta; data: string } {
  const n = ops.length;
  const t0 = history.ops[0]?.time ?? 0;
  const tEnd = history.ops[history.ops.length - 1]?.time ?? t0;
  const unit = Math.max(1000, Math.ceil((tEnd - t0 + 1) / 0xfffffff0));
  const endOf = (o: Operation) => o.completion?.time ?? tEnd;
  const { laneOf, labels } = packLanes(ops, endOf);
  const keys = stringIds();
  const nodes = stringIds();
  nodes.id('');
  const fs = stringIds();
  // Columns: 4-byte ones first, so every view is aligned.
  const sizes = { start: 4, dur: 4, lane: 4, proc: 4, key: 4, node: 2, f: 2, type: 1 };
  const offsets = {} as TimelineMeta['offsets'];
  let at = 0;
  for (const [name, size] of Object.entries(sizes)) {
    offsets[name as keyof typeof sizes] = at;
    at += size * n;
    at = (at + 3) & ~3;
  }
  const buf = new ArrayBuffer(at);
  const start = new Uint32Array(buf, offsets.start, n);
  const dur = new Uint32Array(buf, offsets.dur, n);
  const lane = new Uint32Array(buf, offsets.lane, n);
  const proc = new Uint32Array(buf, offsets.proc, n);
  const key = new Uint32Array(buf, offsets.key, n);
  const node = new Uint16Array(buf, offsets.node, n);
  const f = new Uint16Array(buf, offsets.f, n);
  const type = new Uint8Array(buf, offsets.type, n);
  const text: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const o = ops[i]!;
    start[i] = Math.round((o.invoke.time - t0) / unit);
    dur[i] = o.completion ? Math.round((o.completion.time - o.invoke.time) / unit) : OPEN;
    lane[i] = laneOf.get(o.process)!;
    proc[i] = o.process;
    key[i] = keys.id(o.key === undefined ? '' : String(o.key));
    node[i] = nodes.id(o.invoke.node ?? o.completion?.node ?? '');
    f[i] = fs.id(o.f);
    type[i] = TYPES[o.type];
    text[i] = `${JSON.stringify(o.input)}\t${o.type === 'ok' ? JSON.stringify(o.output) : ''}`;
  }
  offsets.text = at;
  const body = Buffer.concat([Buffer.from(buf), Buffer.from(text.join('\n'), 'utf8')]);
  const meta: TimelineMeta = {
    count: n,
    unit,
    t0,
    lanes: labels.length,
    laneLabels: labels,
    keys: keys.list,
    nodes: nodes.list,
    fs: fs.list,
    offsets,
    open: OPEN,
    faults: intervals.map((i) => ({
      start: (i.start - t0) / unit,
      end: ((i.end ?? tEnd) - t0) / unit,
      label: `${i.kind}${i.detail ? ` ${i.detail}` : ''}${i.nodes.length ? ` (${i.nodes.join(', ')})` : ''}`,
    })),
    anomalies: anomalies.map((a) => ({
      title: a.title,
      text: a.explanation,
      ops: a.events.map((e) => ordinalOf(ops, e)).filter((x) => x >= 0),
    })),
  };
  return { meta, data: gzipSync(body, { level: 4 }).toString('base64') };
}
