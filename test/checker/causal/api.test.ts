/** The checker as the CLI and the library see it. */
import { describe, expect, it } from 'vitest';
import { tuning } from '../../../src/checker/causal/core.js';
import { checkCausal } from '../../../src/checker/causal/index.js';
import { simulateCausalStore } from '../../../src/checker/causal/simulate.js';
import { checkers } from '../../../src/checker/registry.js';
import { checkCausal as fromPackage } from '../../../src/index.js';
import { fromSessions } from './helpers.js';

describe('causal checker API', () => {
  it('is registered as "causal" and exported from the package entry point', async () => {
    expect(fromPackage).toBe(checkCausal);
    const h = fromSessions([
      [
        ['w', 'x', 1],
        ['r', 'x', 2],
      ],
      [
        ['w', 'x', 2],
        ['r', 'x', 1],
      ],
    ]);
    const r = await checkers.causal!.check(h, { model: 'CM' });
    expect(r.valid).toBe(true);
    expect(r.models).toEqual({ CC: true, CCv: false, CM: true });
  });

  it('gives a JSON object with valid, models, anomalies (with witnesses) and a summary', () => {
    const h = fromSessions([
      [
        ['w', 'x', 1],
        ['w', 'y', 1],
      ],
      [
        ['r', 'y', 1],
        ['w', 'x', 2],
      ],
      [
        ['r', 'x', 2],
        ['r', 'x', 1],
      ],
    ]);
    const r = JSON.parse(JSON.stringify(checkCausal(h, {})));
    expect(r.valid).toBe(false);
    expect(r.model).toBe('CCv');
    expect(r.models).toEqual({ CC: false, CCv: false, CM: false });
    expect(r.summary).toMatch(/^CCv violated: 1 anomaly \(WriteCORead ×1\)/);
    expect(r.anomalyCounts).toEqual({ WriteCORead: 1 });
    const [a] = r.anomalies;
    expect(a.pattern).toBe('WriteCORead');
    expect(a.models).toEqual(['CC', 'CCv', 'CM']);
    expect(
      a.ops.map((o: { process: number; key: string; value: number }) => [o.process, o.key, o.value]),
    ).toEqual(
      expect.arrayContaining([
        [2, 'x', 1],
        [0, 'x', 1],
        [1, 'x', 2],
      ]),
    );
    expect(a.edges.map((e: { kind: string }) => e.kind)).toEqual(['rf', 'co', 'co']);
    expect(a.edges[1].steps.map((e: { kind: string }) => e.kind)).toEqual(['po', 'rf', 'po']);
    expect(a.explanation).toMatch(/Process 2 read x=1 .* although x=2, written after x=1 in causal order/);
    expect(r.sessionGuarantees['monotonic-reads']).toBe(1);
    expect(r.stats).toMatchObject({ operations: 6, kept: 6, sessions: 3, keys: 2 });
  });

  it('answers unknown when the time limit is spent', () => {
    const h = simulateCausalStore({ sessions: 10, replicas: 3, keys: 10, operations: 60_000, seed: 3 });
    const r = checkCausal(h, { timeLimitMs: 0 });
    expect(r.valid).toBe('unknown');
    expect(r.models).toEqual({ CC: 'unknown', CCv: 'unknown', CM: 'unknown' });
    expect(r.notes.join(' ')).toMatch(/time limit/);
  });

  it('answers unknown, not out of memory, when the clocks would outgrow their budget', () => {
    const h = simulateCausalStore({ sessions: 400, replicas: 4, keys: 10, operations: 20_000, seed: 4 });
    const r = checkCausal(h, { clockBudgetMB: 1 });
    expect(r.models).toEqual({ CC: 'unknown', CCv: 'unknown', CM: 'unknown' });
    expect(r.notes.join(' ')).toMatch(/vector clocks need more than/);
    expect(checkCausal(h, {}).models.CCv).toBe(true);
  });

  it('recycles clocks instead of giving up when many sessions write', () => {
    // 1500 writing sessions: keeping every clock would take ~36 MB (over the 8 MB budget), the live ones fit.
    const h = simulateCausalStore({ sessions: 1500, replicas: 6, keys: 50, operations: 12_000, seed: 5 });
    const r = checkCausal(h, { clockBudgetMB: 8 });
    expect(r.models).toMatchObject({ CC: true, CCv: true });
    expect(r.notes.join(' ')).not.toMatch(/vector clocks need more than/);
    const broken = simulateCausalStore({
      sessions: 1500,
      replicas: 6,
      keys: 50,
      operations: 12_000,
      seed: 5,
    });
    // A read of null after the session's own write to that key.
    const ops = broken.ops;
    const w = ops.findIndex((o) => o.type === 'ok' && o.f === 'write');
    const p = ops[w]!.process;
    const rd = ops.findIndex((o, i) => i > w && o.process === p && o.f === 'read' && o.type === 'ok');
    expect(rd).toBeGreaterThan(w);
    ops[rd - 1] = { ...ops[rd - 1]!, key: ops[w]!.key };
    ops[rd] = { ...ops[rd]!, key: ops[w]!.key, value: null };
    const b = checkCausal(broken, { clockBudgetMB: 8 });
    expect(b.models.CC).toBe(false);
    expect(b.anomalies.some((a) => a.pattern === 'WriteCOInitRead')).toBe(true);
  });

  it('with recycled clocks, a cycle of CO ∪ CF is resolved by search, or refutes CCv and leaves CC unknown', () => {
    const h = simulateCausalStore({ sessions: 1500, replicas: 6, keys: 50, operations: 12_000, seed: 5 });
    // The spec's WriteCORead example, on fresh keys and processes, appended.
    const tail: [number, 'read' | 'write', string, number | null][] = [
      [90001, 'write', 'z', 1],
      [90001, 'write', 'y', 1],
      [90002, 'read', 'y', 1],
      [90002, 'write', 'z', 2],
      [90003, 'read', 'z', 2],
      [90003, 'read', 'z', 1],
    ];
    for (const [process, f, key, value] of tail) {
      const index = h.ops.length;
      h.ops.push({
        index,
        time: index,
        process,
        type: 'invoke',
        f,
        key,
        value: f === 'write' ? value : null,
      });
      h.ops.push({ index: index + 1, time: index + 1, process, type: 'ok', f, key, value });
    }
    // The candidate conflict edges are few: a search of the causal order names the pattern.
    const r = checkCausal(h, { clockBudgetMB: 8 });
    expect(r.models).toEqual({ CC: false, CCv: false, CM: false });
    expect(r.anomalyCounts).toEqual({ WriteCORead: 1 });
    expect(r.anomalies[0]!.explanation).toMatch(/read z=1 .* although z=2, written after z=1/);
    // With room for every clock, the precise pass agrees.
    expect(checkCausal(h, {}).anomalyCounts).toEqual({ WriteCORead: 1 });
    // Without the search, CCv is still refuted by the cycle and CC is unknown.
    const saved = tuning.cycleSearch;
    tuning.cycleSearch = 0;
    try {
      const u = checkCausal(h, { clockBudgetMB: 8 });
      expect(u.models).toEqual({ CC: 'unknown', CCv: false, CM: 'unknown' });
      expect(u.anomalies.map((a) => a.pattern)).toContain('CyclicCF');
      expect(u.notes.join(' ')).toMatch(/telling a read of an overwritten value from a conflict cycle/);
    } finally {
      tuning.cycleSearch = saved;
    }
  });

  it('leaves CM unknown above cmMaxOps unless asked for', () => {
    const h = simulateCausalStore({ sessions: 5, replicas: 2, keys: 3, operations: 500, seed: 9 });
    const r = checkCausal(h, { cmMaxOps: 100 });
    expect(r.models).toEqual({ CC: true, CCv: true, CM: 'unknown' });
    expect(r.valid).toBe(true);
    expect(checkCausal(h, { cmMaxOps: 100, model: 'CM' }).models.CM).not.toBe('unknown');
  });

  it('caps witnesses but counts every anomaly', () => {
    const sessions = Array.from({ length: 30 }, (_, i) => [
      ['w', `k${i}`, 1],
      ['r', `k${i}`, null],
    ]) as never;
    const r = checkCausal(fromSessions(sessions), { maxWitnesses: 5 });
    expect(r.anomalies).toHaveLength(5);
    expect(r.anomalyCounts.WriteCOInitRead).toBe(30);
    expect(r.summary).toMatch(/30 anomalies/);
  });
});
