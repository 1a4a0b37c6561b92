/**
 * Set and counter checker benchmark: 10^6 operations (2×10^6 events) each, from a seeded
 * simulated store with 10 concurrent processes, replica lag (stale elements), a few lost
 * elements and a few out-of-bound counter reads, so every code path runs. Times are the check
 * alone (history already in memory), the best of 3 after a warm-up; each run's wall and CPU
 * time is listed too, with the full garbage collections that began during it (one costs
 * ~0.5 s on a history of 10^6 operations: a check that allocates much provokes them).
 *
 *   npm run build && node dist/bench/set-counter.js
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { checkCounter } from '../src/checker/counter.js';
import { checkSet } from '../src/checker/set.js';
import type { History, Op, Value } from '../src/history/op.js';

/** mulberry32: a small seeded PRNG, so every run benchmarks the same history. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PROCESSES = 10;

/**
 * Rounds of PROCESSES concurrent operations: all invoke, then all complete in random order.
 * `complete` returns the completion's type and value, and may change the store.
 */
function rounds(
  operations: number,
  random: () => number,
  invoke: (round: number) => { f: string; key: string; value: Value },
  complete: (
    op: { f: string; key: string; value: Value },
    round: number,
  ) => { type: 'ok' | 'info'; value: Value },
): History {
  const ops: Op[] = [];
  const push = (op: Omit<Op, 'index' | 'time'>) =>
    ops.push({ ...op, index: ops.length, time: ops.length * 50_000 });
  const ids = Array.from({ length: PROCESSES }, (_, i) => i);
  let nextId = PROCESSES;
  for (let round = 0; round * PROCESSES < operations; round++) {
    const open = ids.map((process) => ({ process, ...invoke(round) }));
    for (const o of open) push({ ...o, type: 'invoke' });
    for (let i = open.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [open[i], open[j]] = [open[j]!, open[i]!];
    }
    for (const o of open) {
      const c = complete(o, round);
      push({ ...o, ...c });
      if (c.type === 'info') ids[ids.indexOf(o.process)] = nextId++;
    }
  }
  return { ops, realTime: true };
}

/** Adds and whole-set reads over `keys` keys; 1% of adds show up late, 1 in 10^5 never. */
function setHistory(operations: number, keys: number, readRatio: number): History {
  const random = rng(7);
  const visible = new Map<string, number[]>();
  const late: { key: string; element: number; at: number }[] = [];
  let element = 0;
  return rounds(
    operations,
    random,
    () => {
      const key = `k${Math.floor(random() * keys)}`;
      return random() < readRatio ? { f: 'read', key, value: null } : { f: 'add', key, value: element++ };
    },
    (op, round) => {
      while (late.length > 0 && late[0]!.at <= round) {
        const l = late.shift()!;
        visible.get(l.key)!.push(l.element);
      }
      const set = visible.get(op.key) ?? [];
      visible.set(op.key, set);
      if (op.f === 'read') return { type: 'ok', value: set.slice() };
      const r = random();
      if (r < 1e-5) return { type: 'ok', value: op.value }; // acknowledged, never visible: lost
      if (r < 0.01) late.push({ key: op.key, element: op.value as number, at: round + 50 });
      else set.push(op.value as number);
      return { type: r > 0.999 ? 'info' : 'ok', value: op.value };
    },
  );
}

/** Increments of -2..5 and reads on `keys` keys; 1 read in 10^5 is off by one. */
function counterHistory(operations: number, keys: number): History {
  const random = rng(11);
  const sums = new Map<string, number>();
  return rounds(
    operations,
    random,
    () => {
      const key = `c${Math.floor(random() * keys)}`;
      return random() < 0.5
        ? { f: 'read', key, value: null }
        : { f: 'incr', key, value: Math.floor(random() * 8) - 2 };
    },
    (op) => {
      const sum = sums.get(op.key) ?? 0;
      if (op.f === 'read') return { type: 'ok', value: random() < 1e-5 ? sum + 1000 : sum };
      sums.set(op.key, sum + (op.value as number));
      return { type: random() < 0.001 ? 'info' : 'ok', value: op.value };
    },
  );
}

/** Full (mark-compact) garbage collections, by start time: a check may provoke one. */
const majorGcs: { start: number; ms: number }[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries())
    if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)
      majorGcs.push({ start: e.startTime, ms: e.duration });
}).observe({ entryTypes: ['gc'] });

interface Run {
  ms: number;
  cpuMs: number;
  start: number;
  end: number;
}

/** Wall and CPU time of a warm-up and 3 runs (CPU time: the machine may be shared). */
function time<T>(check: () => T): { runs: Run[]; result: T } {
  const runs: Run[] = [];
  let result: T | undefined;
  for (let i = 0; i < 4; i++) {
    const start = performance.now();
    const cpu = process.cpuUsage();
    result = check();
    const used = process.cpuUsage(cpu);
    const end = performance.now();
    runs.push({ ms: end - start, cpuMs: (used.user + used.system) / 1000, start, end });
  }
  return { runs, result: result! };
}

/** The full GCs that began during `run`: count and milliseconds. */
function gcsIn(run: Run): { count: number; ms: number } {
  const mine = majorGcs.filter((g) => g.start >= run.start && g.start < run.end);
  return { count: mine.length, ms: mine.reduce((a, g) => a + g.ms, 0) };
}

const mb = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MB`;

async function report(
  name: string,
  make: () => History,
  check: (h: History) => { valid: unknown; summary: string },
) {
  const t0 = performance.now();
  const history = make();
  const genMs = performance.now() - t0;
  const { runs, result } = time(() => check(history));
  await new Promise((r) => setTimeout(r, 10)); // GC entries arrive asynchronously
  const timed = runs.slice(1);
  const best = Math.min(...timed.map((r) => r.ms));
  const bestCpu = Math.min(...timed.map((r) => r.cpuMs));
  const events = history.ops.length;
  console.log(
    `${name.padEnd(26)} ${events} events  check ${best.toFixed(0)} ms (cpu ${bestCpu.toFixed(0)} ms, ${(((events / best) * 1000) / 1e6).toFixed(1)} M events/s)  generate ${genMs.toFixed(0)} ms  rss ${mb(process.memoryUsage().rss)}`,
  );
  const each = runs.map((r, i) => {
    const gc = gcsIn(r);
    const note = gc.count > 0 ? ` +${gc.count} full GC ${gc.ms.toFixed(0)} ms` : '';
    return `${i === 0 ? 'warm-up ' : ''}${r.ms.toFixed(0)}/${r.cpuMs.toFixed(0)}${note}`;
  });
  console.log(`${''.padEnd(26)} runs wall/cpu ms: ${each.join(', ')}`);
  console.log(`${''.padEnd(26)} valid=${String(result.valid)}: ${result.summary}`);
}

/** A bare pass over every event, to calibrate against a busy machine. */
function baseline(h: History): { valid: unknown; summary: string } {
  let n = 0;
  for (const op of h.ops) if (op.type === 'invoke' && op.process !== 'nemesis') n += op.f.length;
  return { valid: true, summary: `baseline: one pass over the events (${n})` };
}

const N = 1_000_000;
const CASES: [
  name: string,
  kind: string,
  make: () => History,
  check: (h: History) => { valid: unknown; summary: string },
][] = [
  ['set 1e6 ops, 10^4 keys', 'set', () => setHistory(N, 10_000, 0.1), (h) => checkSet(h)],
  ['set 1e6 ops, 100 keys', 'set', () => setHistory(N, 100, 0.002), (h) => checkSet(h)],
  ['counter 1e6 ops, 1 key', 'counter', () => counterHistory(N, 1), (h) => checkCounter(h)],
  ['counter 1e6 ops, 10^3 keys', 'counter', () => counterHistory(N, 1000), (h) => checkCounter(h)],
  ['baseline pass, counter 1e6', 'baseline', () => counterHistory(N, 1), baseline],
];
const only = process.argv[2];
for (const [name, kind, make, check] of CASES) if (!only || only === kind) await report(name, make, check);
