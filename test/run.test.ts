import { describe, expect, it } from 'vitest';
import { runOptionsFromFlags } from '../src/cli/run.js';
import type { ClientOp } from '../src/clients/types.js';
import type { Op } from '../src/history/op.js';
import { Recorder } from '../src/runner/recorder.js';
import { createRng } from '../src/runner/rng.js';
import { invoke } from '../src/runner/run.js';
import { parseMix, registerGenerator } from '../workloads/register.js';

describe('seeded randomness', () => {
  it('the same seed gives the same stream, another seed another', () => {
    const a = createRng(7);
    const b = createRng(7);
    const c = createRng(8);
    const xs = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const r = createRng(1);
    const counts = [0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[r.weighted([2, 1, 1])]!++;
    expect(counts[0]! / 4000).toBeGreaterThan(0.45);
    expect(counts[0]! / 4000).toBeLessThan(0.55);
  });
});

describe('register workload', () => {
  const take = (seed: number, n: number, options = {}) => {
    const g = registerGenerator({ concurrency: 4, ...options }, createRng(seed));
    return Array.from({ length: n }, (_, i) => g.next(i % 4)!);
  };

  it('same seed, same operation sequence', () => {
    expect(take(7, 500)).toEqual(take(7, 500));
    expect(take(7, 500)).not.toEqual(take(8, 500));
  });

  it('writes unique values per key, retires keys after opsPerKey, follows the mix', () => {
    const ops = take(3, 2000, { opsPerKey: 50, keys: 2 });
    const byKey = new Map<unknown, ClientOp[]>();
    for (const op of ops) byKey.set(op.key, [...(byKey.get(op.key) ?? []), op]);
    for (const keyOps of byKey.values()) {
      expect(keyOps.length).toBeLessThanOrEqual(50);
      const written = keyOps.flatMap((op) =>
        op.f === 'write' ? [op.value] : op.f === 'cas' ? [(op.value as unknown[])[1]] : [],
      );
      expect(new Set(written).size).toBe(written.length);
    }
    expect(byKey.size).toBeGreaterThanOrEqual(2000 / 50);
    const reads = ops.filter((o) => o.f === 'read').length;
    expect(reads / ops.length).toBeGreaterThan(0.4);
    expect(take(3, 300, { mix: { read: 0, write: 1, cas: 0 } }).every((o) => o.f === 'write')).toBe(true);
  });

  it('parses a mix and rejects a bad one', () => {
    expect(parseMix('1,2,3')).toEqual({ read: 1, write: 2, cas: 3 });
    expect(() => parseMix('1,2')).toThrow(/three weights/);
    expect(() =>
      registerGenerator({ concurrency: 1, mix: { read: 0, write: 0, cas: 0 } }, createRng(1)),
    ).toThrow();
  });
});

describe('recorder', () => {
  it('assigns dense indices and monotonic times, and counts outcomes', () => {
    const written: Op[] = [];
    const rec = new Recorder({ write: (op) => written.push(op) });
    rec.record({ process: 0, type: 'invoke', f: 'write', key: 1, value: 3, node: 'n1' });
    rec.record({ process: 1, type: 'invoke', f: 'read', key: 1, value: null, node: '' });
    rec.record({ process: 0, type: 'ok', f: 'write', key: 1, value: 3 });
    rec.record({ process: 1, type: 'info', f: 'read', key: 1, value: null, error: 'timeout' });
    rec.nemesis('partition', { n1: ['n2'] });
    expect(written.map((o) => o.index)).toEqual([0, 1, 2, 3, 4]);
    for (let i = 1; i < written.length; i++)
      expect(written[i]!.time).toBeGreaterThanOrEqual(written[i - 1]!.time);
    expect(Number.isInteger(written[0]!.time)).toBe(true);
    expect(written[1]).not.toHaveProperty('node');
    expect(written[4]).toMatchObject({ process: 'nemesis', type: 'info', f: 'partition' });
    expect(rec.counts).toEqual({ invoked: 2, ok: 1, fail: 0, info: 1 });
  });
});

describe('faultline run flags', () => {
  const base = {
    target: 'kvstore',
    workload: 'register',
    timeLimit: 5,
    concurrency: 4,
    rate: 0,
    opTimeout: 1000,
    reports: 'reports',
    preVote: true,
    check: true,
    nemesisInterval: 10,
    recoveryTime: 5,
  };
  it('maps target options and validates before anything starts', () => {
    const o = runOptionsFromFlags({ ...base, readQuorum: 1, writeQuorum: 1, seed: 9 });
    expect(o.targetOptions).toEqual({ readQuorum: 1, writeQuorum: 1 });
    expect(o.seed).toBe(9);
    expect(() => runOptionsFromFlags({ ...base, target: 'redis', readQuorum: 1 })).toThrow(/kvstore only/);
    expect(() => runOptionsFromFlags({ ...base, target: 'redis', topology: 'ring' })).toThrow(/topology/);
    expect(() => runOptionsFromFlags({ ...base, target: 'kvstore', serializable: true })).toThrow(
      /etcd only/,
    );
    expect(() => runOptionsFromFlags({ ...base, mix: 'x' })).toThrow(/--mix/);
    expect(runOptionsFromFlags({ ...base, target: 'etcd', serializable: true }).clientOptions).toEqual({
      serializable: true,
    });
  });
});

describe('one operation through the runner', () => {
  it('records invoke and completion; a client that never answers gets info after a hard limit', async () => {
    const written: Op[] = [];
    const rec = new Recorder({ write: (op) => written.push(op) });
    const ok = await invoke(
      rec,
      {
        node: 'n1',
        boundedByTimeout: true,
        invoke: async () => ({ type: 'ok', value: 4 }),
        close: async () => {},
      },
      3,
      { f: 'read', key: 1, value: null },
      100,
    );
    expect(ok).toEqual({ type: 'ok', value: 4 });
    const hung = await invoke(
      rec,
      { node: 'n2', invoke: () => new Promise(() => {}), close: async () => {} },
      4,
      { f: 'write', key: 1, value: 9 },
      1,
    );
    expect(hung).toMatchObject({ type: 'info', error: 'timeout' });
    expect(written.map((o) => [o.process, o.type, o.f, o.value, o.node])).toEqual([
      [3, 'invoke', 'read', null, 'n1'],
      [3, 'ok', 'read', 4, 'n1'],
      [4, 'invoke', 'write', 9, 'n2'],
      [4, 'info', 'write', 9, 'n2'],
    ]);
  });
});
