import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { majority } from '../../src/nemesis/nodes.js';
import {
  bisect,
  bridgeGrudge,
  completeGrudge,
  connected,
  halvesGrudge,
  isolateGrudge,
  majoritiesRingGrudge,
  randomHalvesGrudge,
  view,
} from '../../src/nemesis/partition.js';
import { createRng } from '../../src/runner/rng.js';
import type { Grudge } from '../../src/runtime/cluster.js';

const names = (n: number) => Array.from({ length: n }, (_, i) => `n${i + 1}`);
const arbCluster = fc.record({ n: fc.integer({ min: 3, max: 9 }), seed: fc.integer() });

const symmetric = (g: Grudge) =>
  Object.entries(g).every(([a, drops]) => drops.every((b) => g[b]?.includes(a) === true));
const noSelfDrop = (g: Grudge) => Object.entries(g).every(([a, drops]) => !drops.includes(a));

describe('grudges', () => {
  it('halves: smaller half first, each half drops the other', () => {
    expect(bisect(names(3))).toEqual([['n1'], ['n2', 'n3']]);
    expect(halvesGrudge(names(3))).toEqual({ n1: ['n2', 'n3'], n2: ['n1'], n3: ['n1'] });
    expect(halvesGrudge(names(5))).toEqual({
      n1: ['n3', 'n4', 'n5'],
      n2: ['n3', 'n4', 'n5'],
      n3: ['n1', 'n2'],
      n4: ['n1', 'n2'],
      n5: ['n1', 'n2'],
    });
  });

  it('isolate one node', () => {
    expect(isolateGrudge(names(3), ['n2'])).toEqual({ n1: ['n2'], n2: ['n1', 'n3'], n3: ['n2'] });
  });

  it('isolating several primaries puts each alone', () => {
    const g = isolateGrudge(names(5), ['n1', 'n4']);
    expect(connected(g, 'n1', 'n4')).toBe(false);
    expect(view(g, names(5), 'n2')).toEqual(['n2', 'n3', 'n5']);
    expect(view(g, names(5), 'n1')).toEqual(['n1']);
  });

  it('complete grudges are symmetric and connect exactly each component', () => {
    fc.assert(
      fc.property(arbCluster, fc.integer({ min: 1, max: 4 }), ({ n, seed }, parts) => {
        const rng = createRng(seed);
        const nodes = names(n);
        const comp = nodes.map(() => rng.int(parts));
        const components = Array.from({ length: parts }, (_, c) =>
          nodes.filter((_, i) => comp[i] === c),
        ).filter((c) => c.length > 0);
        const g = completeGrudge(components);
        expect(symmetric(g)).toBe(true);
        expect(noSelfDrop(g)).toBe(true);
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++) expect(connected(g, nodes[i]!, nodes[j]!)).toBe(comp[i] === comp[j]);
      }),
    );
  });

  it('random halves: a minority and a majority that cannot talk', () => {
    fc.assert(
      fc.property(arbCluster, ({ n, seed }) => {
        const nodes = names(n);
        const g = randomHalvesGrudge(nodes, createRng(seed));
        expect(symmetric(g)).toBe(true);
        const small = Math.floor(n / 2);
        const views = nodes.map((x) => view(g, nodes, x).length).sort((a, b) => a - b);
        const expected = [...Array(small).fill(small), ...Array(n - small).fill(n - small)];
        expect(views).toEqual(expected);
      }),
    );
  });

  it('majorities ring: every node sees a majority, views differ, something is cut', () => {
    fc.assert(
      fc.property(arbCluster, ({ n, seed }) => {
        const nodes = names(n);
        const g = majoritiesRingGrudge(nodes, createRng(seed));
        expect(symmetric(g)).toBe(true);
        expect(noSelfDrop(g)).toBe(true);
        const views = nodes.map((x) => view(g, nodes, x).join(','));
        for (const v of views) expect(v.split(',').length).toBeGreaterThanOrEqual(majority(n));
        expect(Object.keys(g).length).toBeGreaterThan(0);
        // Nobody sees everyone, except with 3 nodes where the middle one must.
        const full = views.filter((v) => v.split(',').length === n).length;
        if (n === 3) expect(full).toBe(1);
        else {
          expect(full).toBe(0);
          expect(new Set(views).size).toBe(n);
        }
      }),
    );
  });

  it('bridge: two sides cut apart, the bridge node sees everyone', () => {
    fc.assert(
      fc.property(arbCluster, ({ n, seed }) => {
        const nodes = names(n);
        const g = bridgeGrudge(nodes, createRng(seed));
        expect(symmetric(g)).toBe(true);
        const bridges = nodes.filter((x) => view(g, nodes, x).length === n);
        expect(bridges.length).toBe(1);
        const others = nodes.filter((x) => x !== bridges[0]);
        // Every other node sees the bridge but not the whole cluster.
        for (const x of others) {
          expect(connected(g, x, bridges[0]!)).toBe(true);
          expect(view(g, nodes, x).length).toBeLessThan(n);
        }
      }),
    );
  });

  it('shapes that need 3 nodes say so', () => {
    expect(() => bridgeGrudge(names(2), createRng(1))).toThrow(/at least 3/);
    expect(() => majoritiesRingGrudge(names(2), createRng(1))).toThrow(/at least 3/);
  });
});
