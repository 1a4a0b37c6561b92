/**
 * A simulated causally consistent key-value store, for tests and benchmarks: R replicas, each
 * session pinned to one replica; a write is applied locally at once and shipped to the other
 * replicas, which apply it only after everything it depended on (causal delivery); concurrent
 * writes are arbitrated last-writer-wins by (Lamport time, replica), so replicas converge.
 * Its histories are CC and CCv by construction (not necessarily CM).
 */
import type { History, Op } from '../../history/op.js';

export interface SimulationOptions {
  sessions: number;
  replicas: number;
  keys: number;
  /** Operations (invoke/ok pairs) to generate. */
  operations: number;
  /** Share of writes (default 0.5). */
  writeRatio?: number;
  /** Delivery attempts between operations (default 2): fewer means more staleness. */
  deliveries?: number;
  /** Chance, per operation, that one replica catches up with everything another has (default 0). */
  sync?: number;
  /**
   * Arbitration timestamps are max(Lamport time + 1 + a random skew up to this, ...): like a
   * hybrid logical clock over skewed wall clocks, they still respect causality (default 0).
   */
  skew?: number;
  seed?: number;
}

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function simulateCausalStore(options: SimulationOptions): History {
  const { sessions, replicas: R, keys: K, operations } = options;
  const writeRatio = options.writeRatio ?? 0.5;
  const deliveries = options.deliveries ?? 2;
  const skew = options.skew ?? 0;
  const sync = options.sync ?? 0;
  const rand = prng(options.seed ?? 1);
  const maxWrites = operations + 1;
  // Replica state per key: value (0 = initial null), Lamport time, origin replica.
  const val = new Int32Array(R * K);
  const ts = new Int32Array(R * K);
  const org = new Int32Array(R * K).fill(-1);
  const lamport = new Int32Array(R);
  const applied = new Int32Array(R * R); // applied[r*R + j]: writes of origin j applied at r
  // Writes by origin, in order, with their dependency vectors.
  const byOrigin: number[][] = Array.from({ length: R }, () => []);
  const wKey = new Int32Array(maxWrites);
  const wVal = new Int32Array(maxWrites);
  const wTs = new Int32Array(maxWrites);
  const wOrg = new Int32Array(maxWrites);
  const wDeps = new Int32Array(maxWrites * R);
  let writes = 0;
  let nextValue = 1;
  const ops: Op[] = [];

  const apply = (r: number, w: number) => {
    const slot = r * K + wKey[w]!;
    if (wTs[w]! > ts[slot]! || (wTs[w] === ts[slot] && wOrg[w]! > org[slot]!)) {
      val[slot] = wVal[w]!;
      ts[slot] = wTs[w]!;
      org[slot] = wOrg[w]!;
    }
    if (wTs[w]! > lamport[r]!) lamport[r] = wTs[w]!;
    applied[r * R + wOrg[w]!]!++;
  };

  /** Applies origin j's next write at r if its dependencies are there; false when it cannot. */
  const deliverFrom = (r: number, j: number): boolean => {
    if (j === r) return false;
    const w = byOrigin[j]![applied[r * R + j]!];
    if (w === undefined) return false;
    for (let i = 0; i < R; i++) if (i !== j && applied[r * R + i]! < wDeps[w * R + i]!) return false;
    apply(r, w);
    return true;
  };
  const deliver = () => deliverFrom(Math.floor(rand() * R), Math.floor(rand() * R));
  const catchUp = (r: number) => {
    for (let progress = true; progress; ) {
      progress = false;
      for (let j = 0; j < R; j++) while (deliverFrom(r, j)) progress = true;
    }
  };

  for (let n = 0; n < operations; n++) {
    for (let d = 0; d < deliveries; d++) deliver();
    if (sync > 0 && rand() < sync) catchUp(Math.floor(rand() * R));
    const s = Math.floor(rand() * sessions);
    const r = s % R;
    const key = Math.floor(rand() * K);
    const index = ops.length;
    if (rand() < writeRatio) {
      const w = writes++;
      const value = nextValue++;
      wKey[w] = key;
      wVal[w] = value;
      wTs[w] = lamport[r]! + 1 + (skew > 0 ? Math.floor(rand() * (skew + 1)) : 0);
      wOrg[w] = r;
      for (let i = 0; i < R; i++) wDeps[w * R + i] = applied[r * R + i]!;
      byOrigin[r]!.push(w);
      apply(r, w);
      ops.push({ index, time: index, process: s, type: 'invoke', f: 'write', key: `k${key}`, value });
      ops.push({
        index: index + 1,
        time: index + 1,
        process: s,
        type: 'ok',
        f: 'write',
        key: `k${key}`,
        value,
      });
    } else {
      const v = val[r * K + key]!;
      ops.push({ index, time: index, process: s, type: 'invoke', f: 'read', key: `k${key}`, value: null });
      ops.push({
        index: index + 1,
        time: index + 1,
        process: s,
        type: 'ok',
        f: 'read',
        key: `k${key}`,
        value: v === 0 ? null : v,
      });
    }
  }
  return { ops, realTime: false };
}
