import { describe, expect, it } from 'vitest';
import type { Op } from '../src/history/op.js';
import { Recorder } from '../src/runner/recorder.js';
import { createRng } from '../src/runner/rng.js';
import { invoke } from '../src/runner/workers.js';
import {
  parseMix,
  type RegisterOp,
  registerGenerator,
  registerOptionsSchema,
} from '../workloads/register.js';

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
    const g = registerGenerator(registerOptionsSchema.parse(options), {
      concurrency: 4,
      rng: createRng(seed),
    });
    return Array.from({ length: n }, (_, i) => g.next(i % 4)!);
  };

  it('same seed, same operation sequence', () => {
    expect(take(7, 500)).toEqual(take(7, 500));
    expect(take(7, 500)).not.toEqual(take(8, 500));
  });

  it('writes unique values per key, retires keys after opsPerKey, follows the mix', () => {
    const ops = take(3, 2000, { opsPerKey: 50, keys: 2 });
    const byKey = new Map<unknown, RegisterOp[]>();
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
    expect(registerOptionsSchema.safeParse({ mix: { read: 0, write: 0, cas: 0 } }).success).toBe(false);
    expect(registerOptionsSchema.parse({ mix: '1,0,0' }).mix).toEqual({ read: 1, write: 0, cas: 0 });
    expect(registerOptionsSchema.safeParse({ mix: 'x' }).success).toBe(false);
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

describe('one operation through the runner', () => {
  it('records invoke and completion; a client that never answers gets info after a hard limit', async () => {
    const written: Op[] = [];
    const rec = new Recorder({ write: (op) => written.push(op) });
    const w = { recorder: rec, readOnly: (op: RegisterOp) => op.f === 'read', opTimeoutMs: 100 };
    const ok = await invoke(
      w,
      {
        node: 'n1',
        boundedByTimeout: true,
        invoke: async () => ({ type: 'ok', value: 4 }),
        close: async () => {},
      },
      3,
      { f: 'read', key: 1, value: null } as RegisterOp,
    );
    expect(ok).toEqual({ type: 'ok', value: 4 });
    const hung = await invoke(
      { ...w, opTimeoutMs: 1 },
      { node: 'n2', invoke: () => new Promise(() => {}), close: async () => {} },
      4,
      { f: 'write', key: 1, value: 9 } as RegisterOp,
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
