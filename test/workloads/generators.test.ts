/** The set, counter and causal generators, and the causal sessions' routing. */
import { describe, expect, it } from 'vitest';
import { sessionRoute } from '../../src/clients/session.js';
import { createRng } from '../../src/runner/rng.js';
import { causalAsRegister, causalGenerator, causalOptionsSchema } from '../../workloads/causal.js';
import { counterGenerator, counterOptionsSchema } from '../../workloads/counter.js';
import { WORKLOADS } from '../../workloads/index.js';
import { setGenerator, setOptionsSchema } from '../../workloads/set.js';

const ctx = () => ({ concurrency: 10, rng: createRng(7) });

describe('workload generators', () => {
  it('set: unique elements per set, retired sets read at the end', () => {
    const g = setGenerator(setOptionsSchema.parse({ keys: 2, addsPerKey: 50 }), ctx());
    const ops = Array.from({ length: 1000 }, () => g.next(0)!);
    const adds = ops.filter((o) => o.f === 'add').map((o) => `${o.key}/${o.value}`);
    expect(new Set(adds).size).toBe(adds.length);
    const used = new Set(ops.map((o) => o.key));
    expect(new Set(g.final!().map((o) => o.key))).toEqual(used);
    expect(g.final!().every((o) => o.f === 'read')).toBe(true);
  });

  it('counter: nonzero deltas within maxDelta, negative only with decrements', () => {
    const up = counterGenerator(counterOptionsSchema.parse({ maxDelta: 3 }), ctx());
    const deltas = Array.from({ length: 500 }, () => up.next(0)!).flatMap((o) =>
      o.f === 'incr' ? [o.value] : [],
    );
    expect(deltas.every((d) => d >= 1 && d <= 3)).toBe(true);
    const both = counterGenerator(counterOptionsSchema.parse({ decrements: true }), ctx());
    const signs = Array.from({ length: 500 }, () => both.next(0)!).flatMap((o) =>
      o.f === 'incr' ? [Math.sign(o.value)] : [],
    );
    expect(new Set(signs)).toEqual(new Set([1, -1]));
  });

  it('causal: unique non-null values per key, reads and writes only, roaming as asked', () => {
    const g = causalGenerator(causalOptionsSchema.parse({ sessions: 'roaming' }), ctx());
    const ops = Array.from({ length: 1000 }, () => g.next(0)!);
    const writes = ops.filter((o) => o.f === 'write').map((o) => `${o.key}/${o.value}`);
    expect(new Set(writes).size).toBe(writes.length);
    expect(ops.every((o) => o.roam && (o.f === 'read' || o.value !== null))).toBe(true);
    expect(causalAsRegister(ops[0]!)).not.toHaveProperty('roam');
    const sticky = causalGenerator(causalOptionsSchema.parse({}), ctx());
    expect(sticky.next(0)!.roam).toBe(false);
  });

  it('every workload is registered under its name', () => {
    for (const name of ['register', 'set', 'counter', 'causal']) expect(WORKLOADS[name]!.name).toBe(name);
  });
});

describe('sessionRoute', () => {
  const op = (roam: boolean) => ({ roam });
  it('sticky: the home node; roaming: the next node on every operation, the same node when asked twice', () => {
    const route = sessionRoute(['n1', 'n2', 'n3'], 4);
    expect(route(op(false))).toBe('n2');
    const seen = [op(true), op(true), op(true)].map((o) => [route(o), route(o)]);
    expect(seen).toEqual([
      ['n3', 'n3'],
      ['n1', 'n1'],
      ['n2', 'n2'],
    ]);
  });
});
