/**
 * Minimal witnesses and plain-words classification: on random register histories, every witness
 * is a subset of the key's operations, is not linearizable by the brute-force oracle (not the
 * checker's search), is closed (so it proves the whole key wrong), and is 1-minimal when it says
 * so; closed subsets of linearizable histories are linearizable (the soundness the witness rests
 * on); hand-written histories for each anomaly class; peer histories known to be invalid.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { explainKey } from '../../../src/checker/linearizable/explain.js';
import {
  checkLinearizableSync,
  type LinearizableOptions,
  modelByName,
} from '../../../src/checker/linearizable/index.js';
import type { Model } from '../../../src/checker/linearizable/model.js';
import { closure, interior, registerView } from '../../../src/checker/linearizable/register-view.js';
import { buildHistory, type History, type RawEvent, readHistoryFile } from '../../../src/history/index.js';
import { type Operation, pairOperations } from '../../../src/history/operations.js';
import { knossosManifest, porcupineManifest } from '../../peers.js';
import { bruteForce, randomHistory, rng, workloads } from './oracle.js';

const CASES: Array<{ workload: string; options: LinearizableOptions }> = [
  { workload: 'register', options: { model: 'register' } },
  { workload: 'cas-register', options: { model: 'cas-register' } },
  { workload: 'cas-register', options: { model: 'cas-register', initial: 0, nilRead: 'unknown' } },
];

const byCall = (ops: readonly Operation[]) => new Map(ops.map((o) => [o.callIndex, o]));

describe('minimal witness on random register histories', () => {
  for (const c of CASES) {
    it(`${JSON.stringify(c.options)}: subset, refuted by the oracle, closed, 1-minimal`, () => {
      const model = modelByName(c.options.model as string, c.options)!;
      let witnesses = 0;
      let small = 0;
      fc.assert(
        fc.property(fc.integer(), fc.integer({ min: 1, max: 4 }), (seed, procs) => {
          const ops = randomHistory(workloads[c.workload]!, rng(seed), 9, procs);
          const r = checkLinearizableSync(ops, c.options);
          if (r.valid !== false) return;
          const w = r.failures[0]!.witness;
          expect(w, r.failures[0]!.witnessNote).toBeDefined();
          witnesses++;
          const all = byCall(ops);
          const sub = w!.ops.map((o) => all.get(o.invokeIndex)!);
          for (const [i, o] of w!.ops.entries()) {
            expect(sub[i]).toBeDefined();
            expect([o.f, o.type, o.process]).toEqual([sub[i]!.f, sub[i]!.type, sub[i]!.process]);
          }
          expect(bruteForce(model, sub)).toBe(false);
          const view = registerView(model, ops)!;
          const idx = sub.map((o) => view.ops.indexOf(o));
          expect(closure(view, idx).size).toBe(idx.length);
          if (w!.minimal)
            for (const drop of idx) {
              const rest = interior(
                view,
                idx.filter((i) => i !== drop),
              );
              expect(
                bruteForce(
                  model,
                  [...rest].map((i) => view.ops[i]!),
                ),
              ).toBe(true);
            }
          if (sub.length <= 4) small++;
        }),
        { numRuns: 1500 },
      );
      expect(witnesses).toBeGreaterThan(100);
      expect(small).toBeGreaterThan(witnesses / 2);
    });
  }

  it('closed subsets of linearizable histories are linearizable (why a witness proves the key wrong)', () => {
    const model = modelByName('cas-register', {})!;
    let checked = 0;
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 4 }), fc.integer(), (seed, procs, pick) => {
        const ops = randomHistory(workloads['cas-register']!, rng(seed), 9, procs);
        if (!bruteForce(model, ops)) return;
        const view = registerView(model, ops)!;
        const r = rng(pick);
        const seedSet = view.ops.map((_, i) => i).filter(() => r.chance(0.4));
        const sub = [...closure(view, seedSet)].sort((a, b) => a - b).map((i) => view.ops[i]!);
        checked++;
        expect(bruteForce(model, sub)).toBe(true);
      }),
      { numRuns: 1500 },
    );
    expect(checked).toBeGreaterThan(200);
  });
});

type Ev = [process: number, type: RawEvent['type'], f: string, value?: unknown, node?: string];
/** Events one millisecond apart, so times read as 0.001 s, 0.002 s, ... */
const history = (...events: Ev[]): History =>
  buildHistory(
    events.map(([process, type, f, value, node], i) => ({
      line: i + 1,
      process,
      type,
      f,
      time: (i + 1) * 1e6,
      value: (value ?? null) as never,
      ...(node === undefined ? {} : { node }),
    })),
    { file: 'test' },
  );

const witnessOf = (h: History, options: Partial<LinearizableOptions> = {}) => {
  const r = checkLinearizableSync(h, { model: 'cas-register', ...options });
  expect(r.valid).toBe(false);
  return r.failures[0]!.witness!;
};

describe('plain-words classification', () => {
  it('stale read: a value overwritten by a write that completed before the read began', () => {
    const w = witnessOf(
      history(
        [0, 'invoke', 'write', 1, 'n1'],
        [0, 'ok', 'write', 1, 'n1'],
        [1, 'invoke', 'read', null, 'n2'],
        [1, 'ok', 'read', 1, 'n2'],
        [0, 'invoke', 'write', 2, 'n1'],
        [0, 'ok', 'write', 2, 'n1'],
        [1, 'invoke', 'read', null, 'n2'],
        [1, 'ok', 'read', 2, 'n2'],
        [2, 'invoke', 'read', null, 'n3'],
        [2, 'ok', 'read', 1, 'n3'],
      ),
    );
    expect(w.anomaly.kind).toBe('stale-read');
    expect(w.ops.map((o) => o.description)).toEqual([
      'process 0 write 1 → 1',
      'process 0 write 2 → 2',
      'process 2 read → 1',
    ]);
    expect(w.minimal).toBe(true);
    expect(w.anomaly.explanation).toContain('process 2 on n3 (0.009 s–0.010 s, events 8–9)');
    expect(w.anomaly.explanation).toContain('replaced it with 2');
    expect(w.ops[2]).toMatchObject({ start: 9e6, end: 10e6, node: 'n3' });
  });

  it('stale read: a read returns an older value than one an earlier read saw', () => {
    const w = witnessOf(
      history(
        [0, 'invoke', 'write', 1],
        [3, 'invoke', 'write', 2],
        [0, 'ok', 'write', 1],
        [1, 'invoke', 'read'],
        [1, 'ok', 'read', 2],
        [2, 'invoke', 'read'],
        [2, 'ok', 'read', 1],
        [3, 'ok', 'write', 2],
      ),
    );
    expect(w.anomaly.kind).toBe('stale-read');
    expect(w.anomaly.explanation).toMatch(/returned 1, after process 1 .* had already read the newer 2/);
    expect(w.ops).toHaveLength(4);
  });

  it('lost write: acknowledged, never read, while the value it overwrote still is', () => {
    const w = witnessOf(
      history(
        [0, 'invoke', 'write', 1],
        [0, 'ok', 'write', 1],
        [1, 'invoke', 'write', 2],
        [1, 'ok', 'write', 2],
        [2, 'invoke', 'read'],
        [2, 'ok', 'read', 1],
        [2, 'invoke', 'read'],
        [2, 'ok', 'read', 1],
      ),
    );
    expect(w.anomaly.kind).toBe('lost-write');
    expect(w.anomaly.explanation).toContain('The write of 2 by process 1');
    expect(w.ops).toHaveLength(3);
  });

  it('lost write: a concurrent write lost to a cas from nil that a later cas still sees', () => {
    // What a last-write-wins store does: write 2 and cas nil→1 overlap, both acknowledged; a
    // later cas from 1 succeeds, so write 2 vanished (cas nil→1 cannot have followed it).
    const w = witnessOf(
      history(
        [0, 'invoke', 'cas', [null, 1], 'n1'],
        [4, 'invoke', 'write', 2, 'n2'],
        [4, 'ok', 'write', 2, 'n2'],
        [0, 'ok', 'cas', [null, 1], 'n1'],
        [2, 'invoke', 'cas', [1, 3], 'n3'],
        [2, 'ok', 'cas', [1, 3], 'n3'],
      ),
    );
    expect(w.ops).toHaveLength(3);
    expect(w.anomaly.kind).toBe('lost-write');
    expect(w.anomaly.explanation).toMatch(
      /^The write of 2 by process 4 on n2 .* was acknowledged and then lost/,
    );
    expect(w.anomaly.explanation).toContain('set from nil by process 0 on n1');
  });

  it('non-atomic cas: two cas from the same single write both succeed', () => {
    const w = witnessOf(
      history(
        [0, 'invoke', 'write', 49],
        [0, 'ok', 'write', 49],
        [1, 'invoke', 'cas', [49, 50]],
        [2, 'invoke', 'cas', [49, 51]],
        [1, 'ok', 'cas', [49, 50]],
        [2, 'ok', 'cas', [49, 51]],
      ),
    );
    expect(w.anomaly.kind).toBe('non-atomic-cas');
    expect(w.anomaly.explanation).toMatch(/^2 compare-and-set operations from 49 all succeeded/);
    expect(w.ops).toHaveLength(3);
    expect(w.minimal).toBe(true);
  });

  it('read of a never-written value: a witness of one operation', () => {
    const w = witnessOf(
      history(
        [0, 'invoke', 'write', 1],
        [0, 'ok', 'write', 1],
        [1, 'invoke', 'read'],
        [1, 'ok', 'read', 7],
        [0, 'invoke', 'write', 2],
        [0, 'ok', 'write', 2],
      ),
    );
    expect(w.anomaly.kind).toBe('never-written');
    expect(w.ops.map((o) => o.description)).toEqual(['process 1 read → 7']);
  });

  it('otherwise: no order explains these operations', () => {
    // Each read alone could be right; together with the writes' order none fits.
    const w = witnessOf(
      history(
        [0, 'invoke', 'write', 1],
        [1, 'invoke', 'write', 2],
        [2, 'invoke', 'read'],
        [3, 'invoke', 'read'],
        [2, 'ok', 'read', 1],
        [3, 'ok', 'read', 2],
        [2, 'invoke', 'read'],
        [3, 'invoke', 'read'],
        [2, 'ok', 'read', 2],
        [3, 'ok', 'read', 1],
        [0, 'ok', 'write', 1],
        [1, 'ok', 'write', 2],
      ),
    );
    expect(w.ops.length).toBeGreaterThanOrEqual(4);
    expect(['unexplained', 'stale-read']).toContain(w.anomaly.kind);
  });

  it('says why there is no witness for other models', () => {
    const ops = pairOperations(
      history([0, 'invoke', 'acquire'], [0, 'ok', 'acquire'], [1, 'invoke', 'acquire'], [1, 'ok', 'acquire']),
    );
    expect(explainKey(modelByName('mutex', {})!, ops, undefined, 100)).toMatch(/registers only/);
  });
});

describe('witnesses of peer histories known to be invalid', () => {
  const check = async (path: string, options: LinearizableOptions, model: Model) => {
    const h = await readHistoryFile(path);
    const r = checkLinearizableSync(h, { ...options, witness: { budgetMs: 5000, perKeyMs: 5000 } });
    expect(r.valid).toBe(false);
    const f = r.failures.find((x) => x.valid === false)!;
    expect(f.witness, f.witnessNote).toBeDefined();
    const all = byCall(pairOperations(h));
    const sub = f.witness!.ops.map((o) => all.get(o.invokeIndex)!);
    expect(sub.every((o) => o !== undefined && (o.key ?? null) === f.key)).toBe(true);
    // The oracle is exponential: re-check independently only witnesses it can afford.
    if (sub.length <= 9) expect(bruteForce(model, sub)).toBe(false);
    else
      expect(checkLinearizableSync(sub, { ...options, algorithm: 'wgl', witness: false }).valid).toBe(false);
    return f.witness!;
  };

  it('Knossos invalid cas-register histories', async () => {
    const bad = knossosManifest().filter((e) => !e.expected_valid && e.model === 'cas-register');
    expect(bad.length).toBeGreaterThan(0);
    for (const e of bad.slice(0, 6)) {
      const options = { model: 'cas-register', initial: e.model_initial_state as never };
      const w = await check(e.path, options, modelByName('cas-register', options)!);
      expect(w.ops.length).toBeLessThanOrEqual(12);
    }
  });

  it('Porcupine invalid etcd histories', async () => {
    const bad = porcupineManifest().filter((e) => !e.expected && e.format === 'jepsen-etcd');
    expect(bad.length).toBeGreaterThan(0);
    for (const e of bad.slice(0, 4)) {
      const options: LinearizableOptions = { model: 'cas-register', initial: null };
      await check(e.path, options, modelByName('cas-register', options)!);
    }
  });
});
