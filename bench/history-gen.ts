/**
 * A run-like register history for report and read-path benchmarks and browser tests: N
 * operations over K keys by P processes on three nodes, with nemesis partition events, and on
 * request the anomalies a broken store shows under them: stale reads from the partitioned node,
 * and compare-and-set operations that succeed from a value already replaced (not atomic).
 * Effects happen at invocation, so without anomalies the history is linearizable.
 */
import type { Op, Value } from '../src/history/op.js';

export interface FaultyOptions {
  ops: number;
  keys: number;
  processes: number;
  seed?: number;
  /** Reads served by n3 during a partition return the value from the partition's start. */
  staleReads?: boolean;
  /** A few cas during a partition succeed from the value the key had when it began. */
  nonAtomicCas?: boolean;
  /** Partition events (default true). */
  faults?: boolean;
}

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NODES = ['n1', 'n2', 'n3'];
const MS = 1e6;

interface Planned {
  start: number;
  end: number;
  process: number;
  f: string;
  key: number;
  value: Value;
  output: Value;
  type: 'ok' | 'fail';
  node: string;
}

/** Operations in start order: each process runs one at a time, 1–6 ms each, ~0.2 ms apart. */
function plan(
  o: FaultyOptions,
  rand: () => number,
  partitioned: (t: number) => number | undefined,
): Planned[] {
  const store = new Array<Value>(o.keys).fill(null);
  const snapshot = new Map<number, Value[]>();
  const free = new Float64Array(o.processes);
  const out: Planned[] = [];
  let next = 1;
  for (let k = 0; k < o.ops; k++) {
    let p = 0;
    for (let q = 1; q < o.processes; q++) if (free[q]! < free[p]!) p = q;
    const start = Math.round(free[p]! + rand() * 0.4 * MS);
    const end = start + Math.round((1 + rand() * 5) * MS);
    free[p] = end;
    const key = Math.floor(rand() * o.keys);
    const node = NODES[p % 3]!;
    const part = partitioned(start);
    if (part !== undefined && !snapshot.has(part)) snapshot.set(part, store.slice());
    const old = part === undefined ? undefined : snapshot.get(part)![key];
    const r = rand();
    const op: Planned = {
      start,
      end,
      process: p,
      f: 'read',
      key,
      value: null,
      output: null,
      type: 'ok',
      node,
    };
    if (r < 0.5) {
      op.output = o.staleReads && part !== undefined && node === 'n3' ? (old ?? null) : store[key]!;
    } else if (r < 0.75) {
      op.f = 'write';
      op.value = op.output = next++;
      store[key] = op.value;
    } else {
      op.f = 'cas';
      const stale =
        o.nonAtomicCas && part !== undefined && node === 'n3' && old !== store[key] && rand() < 0.05;
      const from = stale ? (old ?? null) : store[key]!;
      op.value = op.output = [from, next++];
      if (stale || rand() < 0.8) store[key] = (op.value as Value[])[1]!;
      else {
        op.value = op.output = [(from as number) + 1e9, (op.value as Value[])[1]!];
        op.type = 'fail';
      }
    }
    out.push(op);
  }
  return out;
}

export function generateFaultyHistory(o: FaultyOptions): Op[] {
  const rand = rng(o.seed ?? 7);
  // Partitions: 2 s on, 2 s off, from 1 s; events at their start and end.
  const spanNs = ((o.ops / o.processes) * 3.7 + 10) * MS;
  const faults: Array<[number, number]> = [];
  if (o.faults !== false) for (let t = 1e9; t + 2e9 < spanNs; t += 4e9) faults.push([t, t + 2e9]);
  const partitioned = (t: number) => {
    const i = faults.findIndex(([a, b]) => t >= a && t < b);
    return i < 0 ? undefined : i;
  };
  const planned = plan(o, rand, partitioned);
  const events: Array<{ time: number; order: number; op: Omit<Op, 'index'> }> = [];
  planned.forEach((p, i) => {
    const base = { process: p.process, f: p.f, key: `k${p.key}`, node: p.node };
    events.push({
      time: p.start,
      order: 2 * i,
      op: { ...base, time: p.start, type: 'invoke', value: p.value },
    });
    events.push({
      time: p.end,
      order: 2 * i + 1,
      op: { ...base, time: p.end, type: p.type, value: p.output },
    });
  });
  faults.forEach(([a, b], i) => {
    const grudge = { n3: ['n1', 'n2'], n1: ['n3'], n2: ['n3'] };
    const start = { fault: i + 1, kind: 'one', grudge, nodes: NODES };
    events.push({
      time: a,
      order: -1,
      op: { process: 'nemesis', time: a, type: 'info', f: 'partition', value: start },
    });
    const heal = { fault: i + 1, of: 'partition', nodes: NODES };
    events.push({
      time: b,
      order: -1,
      op: { process: 'nemesis', time: b, type: 'info', f: 'heal', value: heal },
    });
  });
  events.sort((x, y) => x.time - y.time || x.order - y.order);
  return events.map((e, index) => ({ index, ...e.op }));
}

/** The history as faultline JSONL text. */
export const toJsonlText = (ops: Op[]): string => `${ops.map((op) => JSON.stringify(op)).join('\n')}\n`;
