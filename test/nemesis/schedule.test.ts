import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { majority } from '../../src/nemesis/nodes.js';
import { conflicts, formatSchedule, generateSchedule, parseFamilies } from '../../src/nemesis/schedule.js';
import type { NemesisFamily, Schedule } from '../../src/nemesis/types.js';
import { FAULT_KINDS } from '../../src/runtime/cluster.js';

const names = (n: number) => Array.from({ length: n }, (_, i) => `n${i + 1}`);

const arbOptions = fc.record({
  families: fc.uniqueArray(fc.constantFrom(...FAULT_KINDS), { minLength: 1, maxLength: FAULT_KINDS.length }),
  intervalS: fc.integer({ min: 1, max: 20 }),
  durationS: fc.integer({ min: 1, max: 300 }),
  n: fc.integer({ min: 3, max: 7 }),
  hasPrimary: fc.boolean(),
  seed: fc.integer(),
});

type Options = typeof arbOptions extends fc.Arbitrary<infer T> ? T : never;
const make = (o: Options): Schedule => generateSchedule({ ...o, nodes: names(o.n) });

describe('schedule', () => {
  it('same seed, same sequence; another seed, (almost always) another', () => {
    fc.assert(
      fc.property(arbOptions, (o) => {
        expect(make(o)).toEqual(make(o));
      }),
    );
    const a = generateSchedule({
      families: ['partition', 'kill', 'clock'],
      intervalS: 5,
      durationS: 120,
      nodes: names(5),
      hasPrimary: true,
      seed: 1,
    });
    const b = generateSchedule({
      families: ['partition', 'kill', 'clock'],
      intervalS: 5,
      durationS: 120,
      nodes: names(5),
      hasPrimary: true,
      seed: 2,
    });
    expect(formatSchedule(a)).not.toEqual(formatSchedule(b));
  });

  it('every start has exactly one later stop, and the final heal closes the phase', () => {
    fc.assert(
      fc.property(arbOptions, (o) => {
        const s = make(o);
        const last = s.entries.at(-1)!;
        expect(last).toEqual({ atMs: o.durationS * 1000, action: 'heal' });
        expect(s.entries.filter((e) => e.action === 'heal')).toHaveLength(1);
        const starts = new Map<number, number>();
        const stops = new Map<number, number>();
        s.entries.forEach((e, i) => {
          if (e.action === 'start') {
            expect(starts.has(e.id)).toBe(false);
            starts.set(e.id, i);
          } else if (e.action === 'stop') {
            expect(stops.has(e.id)).toBe(false);
            stops.set(e.id, i);
          }
          expect(e.atMs).toBeGreaterThanOrEqual(0);
          expect(e.atMs).toBeLessThanOrEqual(s.endMs);
          if (i > 0) expect(e.atMs).toBeGreaterThanOrEqual(s.entries[i - 1]!.atMs);
        });
        expect([...starts.keys()].sort()).toEqual([...stops.keys()].sort());
        for (const [id, i] of starts) expect(stops.get(id)!).toBeGreaterThan(i);
      }),
    );
  });

  it('never overlaps conflicting faults; only chosen families; nodes are real', () => {
    fc.assert(
      fc.property(arbOptions, (o) => {
        const s = make(o);
        const nodes = new Set(names(o.n));
        const active = new Map<number, NemesisFamily>();
        for (const e of s.entries) {
          if (e.action === 'stop') active.delete(e.id);
          if (e.action !== 'start') continue;
          expect(o.families).toContain(e.fault.family);
          for (const other of active.values()) expect(conflicts(e.fault.family, other)).toBe(false);
          active.set(e.id, e.fault.family);
          const f = e.fault;
          if (f.family === 'partition') {
            if (f.grudge === null) expect(f.kind).toBe('primary');
            for (const [a, drops] of Object.entries(f.grudge ?? {})) {
              expect(nodes.has(a)).toBe(true);
              for (const b of drops) expect(nodes.has(b)).toBe(true);
            }
            if (!o.hasPrimary) expect(f.kind).not.toBe('primary');
          } else if ('nodes' in f.on) {
            expect(f.on.nodes.length).toBeGreaterThan(0);
            for (const x of f.on.nodes) expect(nodes.has(x)).toBe(true);
            if ((f.family === 'kill' || f.family === 'pause') && f.target === 'minority')
              expect(f.on.nodes.length).toBeLessThan(majority(o.n));
          } else expect(o.hasPrimary).toBe(true);
        }
      }),
    );
  });

  it('faults come about every interval', () => {
    const s = generateSchedule({
      families: ['kill', 'clock', 'partition'],
      intervalS: 10,
      durationS: 1000,
      nodes: names(3),
      hasPrimary: true,
      seed: 7,
    });
    const starts = s.entries.filter((e) => e.action === 'start').length;
    // Mean gap 10 s with some waits for conflicts: between 60 and 100 starts in 1000 s.
    expect(starts).toBeGreaterThan(60);
    expect(starts).toBeLessThanOrEqual(100);
    const first = s.entries[0]!;
    expect(first.atMs).toBeGreaterThanOrEqual(5000);
  });

  it('a phase shorter than the first gap only heals', () => {
    const s = generateSchedule({
      families: ['kill'],
      intervalS: 60,
      durationS: 10,
      nodes: names(3),
      hasPrimary: false,
      seed: 1,
    });
    expect(s.entries.length).toBeLessThanOrEqual(3);
    expect(s.entries.at(-1)!.action).toBe('heal');
  });

  it('parses families and rejects unknown ones by name', () => {
    expect(parseFamilies('partition, kill,clock,kill')).toEqual(['partition', 'kill', 'clock']);
    expect(() => parseFamilies('partition,flood')).toThrow(/unknown fault family "flood"/);
    expect(() => parseFamilies('')).toThrow(/at least one/);
  });

  it('fails up front when a family has nothing to aim at', () => {
    expect(() =>
      generateSchedule({
        families: ['kill'],
        intervalS: 100,
        durationS: 10,
        nodes: names(3),
        hasPrimary: false,
        seed: 1,
        choices: { kill: { targets: ['primaries'] } },
      }),
    ).toThrow(/kill: no usable target/);
  });
});
