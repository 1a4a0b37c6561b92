/**
 * A large linearizable register history for the benchmark: N operations over K keys by P
 * client processes, every written value unique. Each operation takes effect at a random moment
 * inside its interval on a real in-memory store; some end `info` (taking effect or not, and
 * the process is replaced as Jepsen does), some cas fail, a few stay open at the end.
 */
import type { History, Op, Value } from '../src/history/op.js';

export interface GenOptions {
  ops: number;
  keys: number;
  processes: number;
  seed?: number;
  /** Share of operations that end info. */
  infoRate?: number;
  /** Share of operations that are cas (default 0.2; the rest split between reads and writes 5:3). */
  casRate?: number;
}

export function generateRegisterHistory(o: GenOptions): History {
  let seed = (o.seed ?? 42) >>> 0;
  const rand = () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const infoRate = o.infoRate ?? 0.01;
  const casRate = o.casRate ?? 0.2;
  const readBelow = (1 - casRate) * (5 / 8);
  const writeBelow = 1 - casRate;
  const store = new Map<string, Value>();
  const ops: Op[] = [];
  let nextValue = 1;
  let nextProcess = o.processes;
  interface Open {
    process: number;
    key: string;
    f: string;
    value: Value;
    applied: boolean;
    result: Value;
    failed: boolean;
  }
  const slots: (Open | undefined)[] = new Array(o.processes).fill(undefined);
  const procOf = Array.from({ length: o.processes }, (_, i) => i);
  let invoked = 0;
  const push = (process: number, type: Op['type'], f: string, key: string, value: Value) => {
    const index = ops.length;
    ops.push({ index, time: index * 1000, process, type, f, key, value });
  };
  const apply = (c: Open) => {
    const cur = store.get(c.key) ?? null;
    if (c.f === 'read') c.result = cur;
    else if (c.f === 'write') store.set(c.key, c.value);
    else {
      const [from, to] = c.value as [Value, Value];
      if (cur === from) store.set(c.key, to);
      else c.failed = true;
    }
    c.applied = true;
  };
  while (invoked < o.ops) {
    const slot = Math.floor(rand() * o.processes);
    const c = slots[slot];
    if (c === undefined) {
      const key = `k${Math.floor(rand() * o.keys)}`;
      const r = rand();
      const cur = store.get(key) ?? null;
      let f: string;
      let value: Value;
      if (r < readBelow) {
        f = 'read';
        value = null;
      } else if (r < writeBelow) {
        f = 'write';
        value = nextValue++;
      } else {
        f = 'cas';
        // Mostly against the current value, so that many succeed.
        value = [rand() < 0.7 && cur !== null ? cur : Math.floor(rand() * nextValue), nextValue++];
      }
      const process = procOf[slot]!;
      slots[slot] = { process, key, f, value, applied: false, result: null, failed: false };
      push(process, 'invoke', f, key, value);
      invoked++;
      continue;
    }
    if (!c.applied && rand() < 0.5) {
      apply(c);
      continue;
    }
    if (!c.applied) {
      // Now and then a request is lost: it never takes effect and the client times out.
      if (rand() < infoRate / 2) {
        slots[slot] = undefined;
        push(c.process, 'info', c.f, c.key, c.f === 'read' ? null : c.value);
        procOf[slot] = nextProcess++;
      }
      continue;
    }
    slots[slot] = undefined;
    if (rand() < infoRate) {
      push(c.process, 'info', c.f, c.key, c.f === 'read' ? null : c.value);
      procOf[slot] = nextProcess++;
    } else if (c.failed) push(c.process, 'fail', c.f, c.key, c.value);
    else push(c.process, 'ok', c.f, c.key, c.f === 'read' ? c.result : c.value);
  }
  // Complete most of the still-open operations; leave a few pending.
  for (const c of slots) {
    if (!c || rand() < 0.2) continue;
    if (!c.applied) apply(c);
    push(c.process, c.failed ? 'fail' : 'ok', c.f, c.key, c.f === 'read' ? c.result : c.value);
  }
  return { ops, realTime: true };
}
