/** Every small example of shared/spec/causal.md's tables, with its expected pattern. */
import { describe, expect, it } from 'vitest';
import { checkCausal, type Pattern, type SessionGuarantee } from '../../../src/checker/causal/index.js';
import { InputError } from '../../../src/history/errors.js';
import { fromSessions, type SOp } from './helpers.js';
import { oracle } from './oracle.js';

interface Example {
  name: string;
  sessions: SOp[][];
  pattern?: Pattern;
  models: { CC: boolean; CCv: boolean; CM: boolean };
  guarantees?: SessionGuarantee[];
}

const examples: Example[] = [
  {
    name: 'ThinAirRead',
    sessions: [[['r', 'x', 7]]],
    pattern: 'ThinAirRead',
    models: { CC: false, CCv: false, CM: false },
  },
  {
    name: 'CyclicCO',
    sessions: [
      [
        ['r', 'x', 1],
        ['w', 'y', 1],
      ],
      [
        ['r', 'y', 1],
        ['w', 'x', 1],
      ],
    ],
    pattern: 'CyclicCO',
    models: { CC: false, CCv: false, CM: false },
  },
  {
    name: 'WriteCOInitRead',
    sessions: [
      [['w', 'x', 1]],
      [
        ['r', 'x', 1],
        ['w', 'y', 1],
      ],
      [
        ['r', 'y', 1],
        ['r', 'x', null],
      ],
    ],
    pattern: 'WriteCOInitRead',
    models: { CC: false, CCv: false, CM: false },
  },
  {
    name: 'WriteCORead',
    sessions: [
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
    pattern: 'WriteCORead',
    models: { CC: false, CCv: false, CM: false },
  },
  {
    name: 'CyclicCF (CM but not CCv)',
    sessions: [
      [
        ['w', 'x', 1],
        ['r', 'x', 2],
      ],
      [
        ['w', 'x', 2],
        ['r', 'x', 1],
      ],
    ],
    pattern: 'CyclicCF',
    models: { CC: true, CCv: false, CM: true },
  },
  {
    name: 'WriteHBInitRead (CCv but not CM)',
    sessions: [
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
    pattern: 'WriteHBInitRead',
    models: { CC: true, CCv: true, CM: false },
  },
  {
    name: 'CyclicHB',
    sessions: [
      [['w', 'x', 1]],
      [
        ['w', 'x', 2],
        ['r', 'x', 1],
        ['r', 'x', 2],
      ],
    ],
    pattern: 'CyclicHB',
    models: { CC: true, CCv: false, CM: false },
  },
  {
    name: 'flip-flop (CC, neither CCv nor CM)',
    sessions: [
      [['w', 'x', 1]],
      [['w', 'x', 2]],
      [
        ['r', 'x', 1],
        ['r', 'x', 2],
        ['r', 'x', 1],
      ],
    ],
    pattern: 'CyclicCF',
    models: { CC: true, CCv: false, CM: false },
  },
  {
    name: 'read-your-writes',
    sessions: [
      [
        ['w', 'x', 1],
        ['r', 'x', null],
      ],
    ],
    pattern: 'WriteCOInitRead',
    models: { CC: false, CCv: false, CM: false },
    guarantees: ['read-your-writes'],
  },
  {
    name: 'monotonic reads',
    sessions: [
      [['w', 'x', 1]],
      [
        ['r', 'x', 1],
        ['r', 'x', null],
      ],
    ],
    pattern: 'WriteCOInitRead',
    models: { CC: false, CCv: false, CM: false },
    guarantees: ['monotonic-reads'],
  },
  {
    name: 'monotonic writes + read-your-writes',
    sessions: [
      [
        ['w', 'x', 1],
        ['w', 'x', 2],
        ['r', 'x', 1],
      ],
    ],
    pattern: 'WriteCORead',
    models: { CC: false, CCv: false, CM: false },
    guarantees: ['read-your-writes', 'monotonic-writes'],
  },
  {
    name: 'writes-follow-reads + monotonic reads',
    sessions: [
      [['w', 'x', 1]],
      [
        ['r', 'x', 1],
        ['w', 'y', 1],
      ],
      [
        ['r', 'y', 1],
        ['r', 'x', null],
      ],
    ],
    pattern: 'WriteCOInitRead',
    models: { CC: false, CCv: false, CM: false },
    guarantees: ['monotonic-reads', 'writes-follow-reads'],
  },
];

describe('the spec tables, example by example', () => {
  for (const ex of examples) {
    it(ex.name, () => {
      const result = checkCausal(fromSessions(ex.sessions), {});
      expect(result.models).toEqual(ex.models);
      expect(oracle(ex.sessions)).toEqual(ex.models);
      if (ex.pattern) {
        const a = result.anomalies.find((x) => x.pattern === ex.pattern);
        expect(a, `${ex.pattern} among ${result.anomalies.map((x) => x.pattern)}`).toBeDefined();
        expect(a!.explanation).toMatch(/process \d/i);
        expect(a!.ops.length).toBeGreaterThan(0);
        if (ex.guarantees) expect(a!.guarantees).toEqual(ex.guarantees);
        // every edge refers to operations listed in the witness
        const ids = new Set(a!.ops.map((o) => o.id));
        for (const e of a!.edges) {
          expect(ids.has(e.from) && ids.has(e.to)).toBe(true);
          expect(e.why.length).toBeGreaterThan(10);
        }
      }
      if (ex.models.CCv) expect(result.valid).toBe(true);
      else expect(result.valid).toBe(false);
    });
  }
});

describe('input cleaning', () => {
  it('an AbortedRead: a read of a failed write', () => {
    const r = checkCausal(fromSessions([[['w', 'x', 1, 'fail']], [['r', 'x', 1]]]));
    expect(r.models).toEqual({ CC: false, CCv: false, CM: false });
    expect(r.anomalies[0]!.pattern).toBe('AbortedRead');
    expect(r.anomalies[0]!.explanation).toMatch(/failed write/);
  });

  it('keeps an info write some read returned, drops one nobody read, drops fail and info reads', () => {
    const h = fromSessions([
      [['w', 'x', 1, 'info']],
      [['w', 'y', 1, 'pending']],
      [
        ['r', 'x', 1],
        ['r', 'x', 5, 'fail'],
        ['r', 'y', null],
      ],
      [['r', 'x', 9, 'info']],
    ]);
    const r = checkCausal(h);
    expect(r.models).toEqual({ CC: true, CCv: true, CM: true });
    expect(r.stats).toMatchObject({ kept: 3, writes: 1, reads: 2, droppedReads: 2, droppedWrites: 1 });
  });

  it('an info write read by someone joins causality', () => {
    // P0's info write x=1 is read by P1, which then writes y=1; P2 sees y=1 then x=null.
    const h = fromSessions([
      [['w', 'x', 1, 'info']],
      [
        ['r', 'x', 1],
        ['w', 'y', 1],
      ],
      [
        ['r', 'y', 1],
        ['r', 'x', null],
      ],
    ]);
    expect(checkCausal(h).anomalies[0]!.pattern).toBe('WriteCOInitRead');
  });

  it('rejects a value written twice to one key, naming both operations', () => {
    const h = fromSessions([[['w', 'x', 1]], [['w', 'x', 1]]]);
    expect(() => checkCausal(h, { file: 'h.json' })).toThrow(InputError);
    expect(() => checkCausal(h, { file: 'h.json' })).toThrow(/index 0, process 0.*index 2, process 1/);
  });

  it('rejects an unknown model', () => {
    expect(() => checkCausal(fromSessions([]), { model: 'SC' })).toThrow(InputError);
  });

  it('accepts models case-insensitively and reports the chosen one as valid', () => {
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
    expect(checkCausal(h, { model: 'cc' }).valid).toBe(true);
    expect(checkCausal(h, { model: 'CM' }).valid).toBe(true);
    expect(checkCausal(h, {}).valid).toBe(false);
    expect(checkCausal(h, {}).summary).toMatch(/CCv violated/);
  });

  it('an empty history is valid', () => {
    expect(checkCausal(fromSessions([])).models).toEqual({ CC: true, CCv: true, CM: true });
  });
});
