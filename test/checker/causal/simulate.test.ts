/** A simulated causally consistent store yields CC and CCv histories; one stale read is caught. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCausal } from '../../../src/checker/causal/index.js';
import { simulateCausalStore } from '../../../src/checker/causal/simulate.js';
import type { History, Op } from '../../../src/history/op.js';
import type { SOp } from './helpers.js';
import { analyse, oracle } from './oracle.js';

const clone = (h: History): History => ({ ...h, ops: h.ops.map((o) => ({ ...o })) });

/** The sessions of a simulated history, for the oracle; `where` maps an ok event's index to "session:position". */
const sessionsOf = (h: History, where = new Map<number, string>()): SOp[][] => {
  const out: SOp[][] = [];
  for (const op of h.ops) {
    if (op.type !== 'ok' || typeof op.process !== 'number') continue;
    out[op.process] ??= [];
    where.set(op.index, `${op.process}:${out[op.process]!.length}`);
    out[op.process]!.push([op.f === 'write' ? 'w' : 'r', String(op.key), op.value]);
  }
  return Array.from(out, (s) => s ?? []);
};

describe('simulated causal store', () => {
  it('its histories are CC and CCv', () => {
    for (const [seed, sessions, replicas, keys, deliveries] of [
      [1, 8, 3, 5, 2],
      [2, 20, 4, 3, 1],
      [3, 50, 5, 20, 3],
      [4, 5, 5, 1, 1],
      [5, 12, 2, 2, 0.5],
    ] as const) {
      const h = simulateCausalStore({
        sessions,
        replicas,
        keys,
        operations: 3000,
        seed,
        deliveries: Math.ceil(deliveries),
      });
      const r = checkCausal(h, {});
      expect(r.models.CC, `seed ${seed}: ${r.summary}`).toBe(true);
      expect(r.models.CCv, `seed ${seed}: ${r.summary}`).toBe(true);
      expect(r.stats.conflictEdges).toBeGreaterThan(0);
    }
  });

  it('agrees with the oracle on small simulated histories', () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.nat(),
          sessions: fc.integer({ min: 2, max: 4 }),
          replicas: fc.integer({ min: 2, max: 3 }),
          keys: fc.integer({ min: 1, max: 3 }),
          operations: fc.integer({ min: 2, max: 14 }),
          deliveries: fc.integer({ min: 0, max: 1 }),
          skew: fc.integer({ min: 0, max: 6 }),
        }),
        (o) => {
          const h = simulateCausalStore(o);
          const fast = checkCausal(h, {}).models;
          const slow = oracle(sessionsOf(h));
          expect(fast).toEqual(slow);
          expect(fast.CC && fast.CCv).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a read changed to a value overwritten in its causal past is a WriteCORead', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const h = simulateCausalStore({ sessions: 10, replicas: 3, keys: 4, operations: 2000, seed });
      // A read r whose own session wrote its key twice before it: w0 →po w2 →po r. Make r return w0.
      const own = new Map<string, Op[]>(); // process/key → its ok writes so far
      let target: { read: Op; stale: Op } | undefined;
      for (const op of h.ops) {
        if (op.type !== 'ok') continue;
        const slot = `${op.process}/${op.key}`;
        if (op.f === 'write') own.set(slot, [...(own.get(slot) ?? []), op]);
        else if ((own.get(slot)?.length ?? 0) >= 2 && op.index > h.ops.length / 2) {
          target = { read: op, stale: own.get(slot)![own.get(slot)!.length - 2]! };
          break;
        }
      }
      expect(target).toBeDefined();
      const bad = clone(h);
      bad.ops[target!.read.index]!.value = target!.stale.value;
      const r = checkCausal(bad, {});
      expect(r.models).toMatchObject({ CC: false, CCv: false, CM: false });
      const a = r.anomalies.find((x) => x.pattern === 'WriteCORead');
      expect(a, r.summary).toBeDefined();
      expect(a!.ops.some((o) => o.index === target!.read.index - 1)).toBe(true);
      expect(a!.guarantees!.length).toBeGreaterThan(0);
    }
  });

  it('a read changed to a value overwritten in its causal past (per the oracle) is flagged, and only such reads', () => {
    let mutated = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const h = simulateCausalStore({
        sessions: 4,
        replicas: 3,
        keys: 2,
        operations: 30,
        seed,
        deliveries: 1,
        skew: 3,
      });
      const reads = h.ops.filter((o) => o.type === 'ok' && o.f === 'read');
      const writes = h.ops.filter((o) => o.type === 'ok' && o.f === 'write');
      const read = reads[seed % Math.max(1, reads.length)];
      if (!read) continue;
      for (const w of writes) {
        if (w.key !== read.key || w.value === read.value) continue;
        const bad = clone(h);
        bad.ops[read.index]!.value = w.value;
        const where = new Map<number, string>();
        const slow = analyse(sessionsOf(bad, where));
        const r = checkCausal(bad, {});
        expect(r.models).toEqual(slow.verdict);
        if (slow.cyclicCO) continue;
        const flagged = (p: string) =>
          new Set(
            r.anomalies.filter((a) => a.pattern === p).map((a) => where.get(a.ops[0]!.completionIndex!)),
          );
        expect(flagged('WriteCORead')).toEqual(slow.writeCORead);
        expect(flagged('WriteCOInitRead')).toEqual(slow.writeCOInitRead);
        if (slow.writeCORead.has(where.get(read.index)!)) mutated++;
      }
    }
    expect(mutated).toBeGreaterThan(20);
  });
});
