/**
 * The polynomial algorithm for registers whose written (and cas-set) values are unique: identical verdicts
 * to the brute-force oracle and to the WGL search on thousands of random histories (ok, fail,
 * info and never-completed operations, reads of the initial value and of nil, corrupted
 * reads), used only when its preconditions hold, and equal to the search on the peer files.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkLinearizable,
  checkLinearizableSync,
  type LinearizableOptions,
  modelByName,
} from '../../../src/checker/linearizable/index.js';
import { prepare } from '../../../src/checker/linearizable/prepare.js';
import { checkUniqueWrites } from '../../../src/checker/linearizable/search/unique-writes.js';
import { buildHistory, type History, type RawEvent, readHistoryFile } from '../../../src/history/index.js';
import type { Value } from '../../../src/history/op.js';
import type { Operation } from '../../../src/history/operations.js';
import { knossosManifest, porcupineManifest } from '../../peers.js';
import { bruteForce, randomHistory, rng, type Workload } from './oracle.js';

/** A register workload whose writes are 1, 2, 3, … (fresh per history); reads may be corrupted. */
function uniqueRegister(): Workload<Value> {
  let next = 1;
  return {
    init: null,
    invoke: (r) => (r.chance(0.5) ? { f: 'read', input: null } : { f: 'write', input: next++ }),
    apply: (s, f, input) => (f === 'read' ? { state: s, output: s } : { state: input, output: input }),
    corrupt: (f, input, o, r) =>
      f === 'read'
        ? r.pick([null, 0, ((o as number | null) ?? 0) + 1, ((o as number | null) ?? 2) - 1])
        : input,
  };
}

/** Reads, writes and cas; every write and every cas sets a fresh value. */
function uniqueCasRegister(): Workload<Value> {
  let next = 1;
  const base = uniqueRegister();
  return {
    ...base,
    invoke: (r) => {
      const k = r.int(3);
      if (k === 0) return { f: 'read', input: null };
      if (k === 1) return { f: 'write', input: next++ };
      // Mostly from a recent value, so that many succeed.
      const from = r.pick([next - 1, next - 1, next - 2, null, 0, r.int(next)]);
      return { f: 'cas', input: [from, next++] };
    },
    apply: (s, f, input) => {
      if (f === 'read') return { state: s, output: s };
      if (f === 'write') return { state: input, output: input };
      const [from, to] = input as [Value, Value];
      return s === from ? { state: to, output: input } : { state: s, output: input, failed: true };
    },
  };
}

/** The same with the register starting at 0 (and reads of 0 before any write). */
function uniqueRegisterFrom0(): Workload<Value> {
  return { ...uniqueRegister(), init: 0 };
}

interface Case {
  name: string;
  workload: () => Workload<Value>;
  options: LinearizableOptions;
  infoRate?: number;
}

const cases: Case[] = [
  { name: 'register from nil', workload: uniqueRegister, options: { model: 'register' } },
  {
    name: 'register from nil, many info',
    workload: uniqueRegister,
    infoRate: 0.4,
    options: { model: 'register' },
  },
  {
    name: 'register from 0, nil reads unknown',
    workload: uniqueRegisterFrom0,
    options: { model: 'register', initial: 0 },
  },
  {
    name: 'register from 0, nil reads mean nil',
    workload: uniqueRegisterFrom0,
    options: { model: 'register', initial: 0, nilRead: 'absent' },
  },
  {
    name: 'cas-register history without cas',
    workload: uniqueRegister,
    options: { model: 'cas-register', failedCas: 'mismatch' },
  },
  {
    name: 'cas-register from nil, failed cas dropped',
    workload: uniqueCasRegister,
    options: { model: 'cas-register' },
  },
  {
    name: 'cas-register from nil, many info',
    workload: uniqueCasRegister,
    infoRate: 0.4,
    options: { model: 'cas-register' },
  },
  {
    name: 'cas-register from 0, nil reads unknown',
    workload: () => ({ ...uniqueCasRegister(), init: 0 }),
    options: { model: 'cas-register', initial: 0 },
  },
];

describe('unique-writes algorithm agrees with the brute-force oracle and the WGL search', () => {
  for (const c of cases) {
    it(`${c.name}: 3000 random histories`, () => {
      const model = modelByName(c.options.model as string, c.options)!;
      const tally = { true: 0, false: 0 };
      const run = (seed: number, procs: number, maxOps: number) => {
        const ops: Operation[] = randomHistory(c.workload(), rng(seed), maxOps, procs, c.infoRate);
        const expected = bruteForce(model, ops);
        // The algorithm itself, on the prepared sub-history: it must apply, and agree.
        const direct = checkUniqueWrites(prepare(model, ops).problem);
        expect(direct).toBeDefined();
        expect(direct!.valid).toBe(expected);
        // Through the API: it decides, with the same verdict as the search.
        const auto = checkLinearizableSync(ops, c.options);
        expect(auto.valid).toBe(expected);
        expect(auto.keys[0]!.algorithm).toBe('unique-writes');
        const wgl = checkLinearizableSync(ops, { ...c.options, algorithm: 'wgl' });
        expect(wgl.valid).toBe(expected);
        expect(wgl.keys[0]!.algorithm).toBe('wgl');
        return expected;
      };
      fc.assert(
        fc.property(fc.integer(), fc.integer({ min: 1, max: 5 }), (seed, procs) => {
          tally[run(seed, procs, 8) ? 'true' : 'false']++;
        }),
        { numRuns: 3000 },
      );
      fc.assert(
        fc.property(fc.integer(), fc.integer({ min: 2, max: 6 }), (seed, procs) => {
          run(seed, procs, 11);
        }),
        { numRuns: 200 },
      );
      expect(tally.true).toBeGreaterThan(60);
      expect(tally.false).toBeGreaterThan(60);
    });
  }
});

describe("unique-writes agrees with the WGL search beyond the oracle's reach", () => {
  for (const c of cases) {
    it(`${c.name}: 400 histories of up to 40 operations`, () => {
      const model = modelByName(c.options.model as string, c.options)!;
      const tally = { true: 0, false: 0 };
      fc.assert(
        fc.property(fc.integer(), fc.integer({ min: 2, max: 8 }), (seed, procs) => {
          const ops = randomHistory(c.workload(), rng(seed), 40, procs, c.infoRate);
          const direct = checkUniqueWrites(prepare(model, ops).problem);
          const wgl = checkLinearizableSync(ops, { ...c.options, algorithm: 'wgl' }).valid;
          expect(direct?.valid).toBe(wgl);
          tally[wgl === true ? 'true' : 'false']++;
          // Times that are not integers (the sorts' general path): the same verdict.
          const scaled = ops.map((o) => ({
            ...o,
            callIndex: o.callIndex * 1.5 + 0.25,
            returnIndex: o.returnIndex * 1.5 + 0.25,
          }));
          expect(checkUniqueWrites(prepare(model, scaled).problem)?.valid).toBe(wgl);
        }),
        { numRuns: 400 },
      );
      expect(tally.true).toBeGreaterThan(8);
      expect(tally.false).toBeGreaterThan(8);
    });
  }
});

type Ev = [process: number, type: RawEvent['type'], f: string, value?: unknown];
const history = (...events: Ev[]): History =>
  buildHistory(
    events.map(([process, type, f, value], i) => ({
      line: i + 1,
      process,
      type,
      f,
      value: (value ?? null) as never,
    })),
    { file: 'test' },
  );

describe('unique-writes preconditions', () => {
  const decider = (h: History, options: Partial<LinearizableOptions> = {}) =>
    checkLinearizableSync(h, { model: 'cas-register', ...options }).keys[0]!.algorithm;
  it('decides a register history with unique writes', () => {
    expect(decider(history([0, 'invoke', 'write', 1], [0, 'ok', 'write', 1]))).toBe('unique-writes');
  });
  it('leaves a value written twice to the search', () => {
    const h = history(
      [0, 'invoke', 'write', 1],
      [0, 'ok', 'write', 1],
      [0, 'invoke', 'write', 1],
      [0, 'ok', 'write', 1],
    );
    expect(decider(h)).toBe('wgl');
  });
  it('leaves a write of the initial value to the search', () => {
    expect(decider(history([0, 'invoke', 'write', 0], [0, 'ok', 'write', 0]), { initial: 0 })).toBe('wgl');
  });
  it('decides a history with cas whose new values are unique', () => {
    const h = history([0, 'invoke', 'cas', [null, 1]], [0, 'ok', 'cas', [null, 1]]);
    expect(decider(h)).toBe('unique-writes');
  });
  it('leaves failed cas read as mismatches to the search', () => {
    const h = history([0, 'invoke', 'cas', [5, 6]], [0, 'fail', 'cas', [5, 6]]);
    expect(decider(h, { failedCas: 'mismatch' })).toBe('wgl');
  });
  it('leaves a cas back to an earlier value to the search', () => {
    const h = history(
      [0, 'invoke', 'write', 1],
      [0, 'ok', 'write', 1],
      [0, 'invoke', 'cas', [1, 2]],
      [0, 'ok', 'cas', [1, 2]],
      [0, 'invoke', 'cas', [2, 1]],
      [0, 'ok', 'cas', [2, 1]],
    );
    expect(decider(h)).toBe('wgl');
  });
  it('refutes two successful cas from the same value', () => {
    const h = history(
      [0, 'invoke', 'write', 1],
      [0, 'ok', 'write', 1],
      [0, 'invoke', 'cas', [1, 2]],
      [1, 'invoke', 'cas', [1, 3]],
      [0, 'ok', 'cas', [1, 2]],
      [1, 'ok', 'cas', [1, 3]],
    );
    const r = checkLinearizableSync(h, { model: 'cas-register' });
    expect(r.valid).toBe(false);
    expect(r.keys[0]!.algorithm).toBe('unique-writes');
  });
  it('a failed cas dropped (the Knossos rule) does not stop it', () => {
    const h = history(
      [0, 'invoke', 'write', 1],
      [0, 'ok', 'write', 1],
      [0, 'invoke', 'cas', [5, 6]],
      [0, 'fail', 'cas', [5, 6]],
    );
    expect(decider(h)).toBe('unique-writes');
  });
  it('a read of a value written by an info write, and a pending write taking effect at the end', () => {
    const h = history(
      [0, 'invoke', 'write', 1],
      [0, 'info', 'write', 1],
      [1, 'invoke', 'write', 2],
      [2, 'invoke', 'read'],
      [2, 'ok', 'read', 1],
      [2, 'invoke', 'read'],
      [2, 'ok', 'read', 2],
    );
    const r = checkLinearizableSync(h, { model: 'register' });
    expect([r.valid, r.keys[0]!.algorithm]).toEqual([true, 'unique-writes']);
  });
  it('an info cas is needed through another info cas whose value was read', () => {
    const h = history(
      [0, 'invoke', 'write', 1],
      [0, 'ok', 'write', 1],
      [1, 'invoke', 'cas', [1, 2]],
      [1, 'info', 'cas', [1, 2]],
      [2, 'invoke', 'cas', [2, 3]],
      [2, 'info', 'cas', [2, 3]],
      [3, 'invoke', 'read'],
      [3, 'ok', 'read', 3],
      [3, 'invoke', 'read'],
      [3, 'ok', 'read', 1],
    );
    // 3 was read, so both cas took effect, and 1 cannot be read after 3.
    const r = checkLinearizableSync(h, { model: 'cas-register' });
    expect([r.valid, r.keys[0]!.algorithm]).toEqual([false, 'unique-writes']);
  });
  it('a read that returned before its write was invoked is refuted, with evidence', () => {
    const h = history(
      [1, 'invoke', 'read'],
      [1, 'ok', 'read', 1],
      [0, 'invoke', 'write', 1],
      [0, 'ok', 'write', 1],
    );
    const r = checkLinearizableSync(h, { model: 'register' });
    expect(r.valid).toBe(false);
    expect(r.keys[0]!.algorithm).toBe('unique-writes');
    expect(r.failures[0]!.op?.f).toBe('read');
    expect(r.summary).toMatch(/unique-writes algorithm/);
  });
});

describe('unique-writes on the peer files', () => {
  it('agrees with the WGL search wherever it applies, and with every manifest', async () => {
    let decided = 0;
    const etcd = { initial: null, nilRead: 'absent', failedCas: 'mismatch' } as const;
    const runs: { path: string; options: LinearizableOptions; expected: boolean }[] = [
      ...porcupineManifest().map((e) => ({
        path: e.path,
        options: { model: e.model, ...(e.model === 'cas-register' ? etcd : {}) } as LinearizableOptions,
        expected: e.expected,
      })),
      // Porcupine's etcd histories under Knossos's rule for failed cas (dropped), too.
      ...porcupineManifest()
        .filter((e) => e.format === 'jepsen-etcd')
        .map((e) => ({
          path: e.path,
          options: { model: 'cas-register', failedCas: 'drop' } as LinearizableOptions,
          expected: e.expected,
        })),
      ...knossosManifest().map((e) => ({
        path: e.path,
        options: {
          model: e.model,
          ...(e.model === 'mutex' ? {} : { initial: e.model_initial_state as never }),
        } as LinearizableOptions,
        expected: e.expected_valid,
      })),
    ];
    for (const { path, options, expected } of runs) {
      const history = await readHistoryFile(path);
      const auto = await checkLinearizable(history, options);
      expect(auto.valid, path).toBe(expected);
      if (!auto.keys.some((k) => k.algorithm === 'unique-writes')) continue;
      const wgl = await checkLinearizable(history, { ...options, algorithm: 'wgl' });
      expect(wgl.valid, path).toBe(auto.valid);
      decided += auto.keys.filter((k) => k.algorithm === 'unique-writes').length;
    }
    // Few peer histories qualify (most repeat small values): Knossos's immediate-failure and
    // three mongodb-v0-ack-rollback files.
    expect(decided).toBeGreaterThanOrEqual(4);
  }, 120_000);
});
