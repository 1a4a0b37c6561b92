/** fast-check: the fast algorithm and the naive oracle agree on random small histories. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tuning } from '../../../src/checker/causal/core.js';
import { checkCausal } from '../../../src/checker/causal/index.js';
import { prng } from '../../../src/checker/causal/simulate.js';
import { fromSessions, type SOp } from './helpers.js';
import { oracle } from './oracle.js';
import { causalViews } from './views.js';

const shape = (maxSessions: number, maxOps: number, keys: number) =>
  fc.array(
    fc.array(fc.record({ write: fc.boolean(), key: fc.nat(keys - 1), pick: fc.nat(), thin: fc.nat(40) }), {
      maxLength: maxOps,
    }),
    { minLength: 1, maxLength: maxSessions },
  );

/** Writes get unique values per key; a read returns null or any value written to its key. */
function realize(raw: { write: boolean; key: number; pick: number; thin: number }[][]): SOp[][] {
  const written = new Map<string, number[]>();
  let next = 1;
  const sessions = raw.map((ops) =>
    ops.map((o) => {
      const key = `k${o.key}`;
      if (!o.write) return o;
      const value = next++;
      written.set(key, [...(written.get(key) ?? []), value]);
      return { ...o, value };
    }),
  );
  return sessions.map((ops) =>
    ops.map((o): SOp => {
      const key = `k${o.key}`;
      if ('value' in o) return ['w', key, o.value];
      if (o.thin === 0) return ['r', key, 999];
      const options = [null, ...(written.get(key) ?? [])];
      return ['r', key, options[o.pick % options.length]!];
    }),
  );
}

const seen = new Set<string>();
/**
 * Every code path of the fast algorithm: keys with and without a column → run table, clocks
 * kept for the whole traversal or recycled (many sessions).
 */
const TUNINGS = [
  { denseShare: 0.25, compact: false },
  { denseShare: Number.POSITIVE_INFINITY, compact: false },
  { denseShare: 0.25, compact: true },
  { denseShare: Number.POSITIVE_INFINITY, compact: true },
];
const agree = (sessions: SOp[][]) => {
  const slow = oracle(sessions);
  const saved = { ...tuning };
  try {
    for (const t of TUNINGS) {
      Object.assign(tuning, t);
      const fast = checkCausal(fromSessions(sessions), {}).models;
      expect(fast, `${JSON.stringify(t)} ${JSON.stringify(sessions)}`).toEqual(slow);
    }
  } finally {
    Object.assign(tuning, saved);
  }
  seen.add(`${slow.CC}${slow.CCv}${slow.CM}`);
};

describe('fast algorithm vs naive oracle', () => {
  it('agree on CC, CCv and CM for random histories of 1–4 sessions, 1–2 keys', () => {
    fc.assert(fc.property(shape(4, 5, 2).map(realize), agree), { numRuns: 4000 });
  });

  it('agree on histories with more sessions and one key (many conflicts)', () => {
    fc.assert(fc.property(shape(6, 4, 1).map(realize), agree), { numRuns: 2000 });
  });

  it('agree on longer sessions over three keys', () => {
    fc.assert(fc.property(shape(3, 8, 3).map(realize), agree), { numRuns: 1500 });
  });

  it('agree on causally consistent histories with free choice among concurrent writes', () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.nat(),
          sessions: fc.integer({ min: 2, max: 4 }),
          keys: fc.integer({ min: 1, max: 3 }),
          ops: fc.integer({ min: 2, max: 12 }),
          deliver: fc.double({ min: 0.1, max: 0.8, noNaN: true }),
        }),
        (o) => agree(causalViews(prng(o.seed), o.sessions, o.keys, o.ops, o.deliver)),
      ),
      { numRuns: 4000 },
    );
  });

  it('agree on the bad-pattern examples with random noise inserted (reaches CCv-but-not-CM)', () => {
    const seeds: SOp[][][] = [
      // POPL'17 Fig. 2b (WriteHBInitRead), 2a (CyclicCF), 2c (CyclicHB), 2e (WriteCORead)
      [
        [
          ['w', 'z', 1],
          ['w', 'x', 1],
          ['w', 'y', 1],
        ],
        [
          ['w', 'x', 2],
          ['r', 'z', null],
          ['r', 'y', 1],
          ['r', 'x', 2],
        ],
      ],
      [
        [
          ['w', 'x', 1],
          ['r', 'x', 2],
        ],
        [
          ['w', 'x', 2],
          ['r', 'x', 1],
        ],
      ],
      [
        [['w', 'x', 1]],
        [
          ['w', 'x', 2],
          ['r', 'x', 1],
          ['r', 'x', 2],
        ],
      ],
      [
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
      ],
    ];
    const noise = fc.array(
      fc.record({
        session: fc.nat(3),
        at: fc.nat(6),
        write: fc.boolean(),
        key: fc.constantFrom('x', 'y', 'z', 'p', 'q'),
        pick: fc.nat(),
      }),
      { maxLength: 5 },
    );
    fc.assert(
      fc.property(fc.nat(seeds.length - 1), noise, (which, extra) => {
        const sessions = seeds[which]!.map((s) => [...s]);
        let value = 100;
        const writtenTo = (key: string) =>
          sessions.flat().flatMap(([f, k, v]) => (f === 'w' && k === key ? [v] : []));
        for (const e of extra) {
          const at = e.session % (sessions.length + 1);
          sessions[at] ??= [];
          const s = sessions[at]!;
          const options = [null, ...writtenTo(e.key)];
          const op: SOp = e.write ? ['w', e.key, value++] : ['r', e.key, options[e.pick % options.length]!];
          s.splice(Math.min(e.at, s.length), 0, op);
        }
        agree(sessions);
      }),
      { numRuns: 3000 },
    );
  });

  it('the generators reached every combination of verdicts the models allow', () => {
    // none, all, CC only, CM but not CCv, CCv but not CM
    expect(seen).toEqual(
      new Set(['falsefalsefalse', 'truetruetrue', 'truefalsefalse', 'truefalsetrue', 'truetruefalse']),
    );
  });
});
