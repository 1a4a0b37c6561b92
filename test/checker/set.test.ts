import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSet } from '../../src/checker/set.js';
import type { History, Value } from '../../src/history/op.js';
import { pairOperations } from '../../src/history/operations.js';
import { randomHistory, script } from './set-counter-helpers.js';

/** The definitions, element by element, read by read: quadratic and obviously so. */
function oracle(history: History, linearizable = false) {
  const t = {
    attempted: 0,
    acknowledged: 0,
    ok: 0,
    stale: 0,
    lost: 0,
    neverRead: 0,
    unexpected: 0,
    unknown: 0,
  };
  const ops = pairOperations(history);
  for (const key of new Set(ops.map((o) => o.key))) {
    const mine = ops.filter((o) => o.key === key);
    const adds = mine.filter((o) => o.f === 'add');
    const reads = mine.filter(
      (o) => o.f === 'read' && o.type === 'ok' && (o.output === null || Array.isArray(o.output)),
    );
    const has = (r: (typeof reads)[number], e: Value) => ((r.output ?? []) as Value[]).includes(e);
    const elements = new Set<Value>([
      ...adds.map((a) => a.input),
      ...reads.flatMap((r) => (r.output ?? []) as Value[]),
    ]);
    for (const e of elements) {
      const myAdds = adds.filter((a) => a.input === e);
      const seen = reads.filter((r) => has(r, e));
      const acks = myAdds.filter((a) => a.type === 'ok');
      if (myAdds.length > 0) t.attempted++;
      if (acks.length > 0) t.acknowledged++;
      if (myAdds.every((a) => a.type === 'fail')) {
        if (seen.length > 0) t.unexpected++;
        continue;
      }
      const known = Math.min(...acks.map((a) => a.returnIndex), ...seen.map((r) => r.returnIndex));
      if (known === Number.POSITIVE_INFINITY) {
        t.unknown++;
        continue;
      }
      const lastPresent = Math.max(-1, ...seen.map((r) => r.callIndex));
      const lastAbsent = Math.max(
        -1,
        ...reads.filter((r) => r.callIndex > known && !has(r, e)).map((r) => r.callIndex),
      );
      if (lastPresent < 0 && lastAbsent < 0) t.neverRead++;
      else if (lastAbsent > lastPresent) t.lost++;
      else if (lastAbsent >= 0) t.stale++;
      else t.ok++;
    }
  }
  const valid =
    t.lost > 0 || t.unexpected > 0 || (linearizable && t.stale > 0)
      ? false
      : t.ok + t.stale === 0
        ? 'unknown'
        : true;
  return { valid, ...t };
}

const tally = (r: ReturnType<typeof checkSet>) => ({
  ...{ valid: r.valid, attempted: r.attempted, acknowledged: r.acknowledged, ok: r.ok, stale: r.stale },
  ...{ lost: r.lost, neverRead: r.neverRead, unexpected: r.unexpected, unknown: r.unknown },
});

describe('set checker', () => {
  it('an acknowledged add read afterwards is ok', () => {
    const r = checkSet(
      script([
        [0, 'invoke', 'add', 1],
        [0, 'ok', 'add', 1],
        [1, 'invoke', 'read', null],
        [1, 'ok', 'read', [1]],
      ]),
    );
    expect(r).toMatchObject({ checker: 'set', valid: true, ok: 1, lost: 0 });
    expect(r.summary).toBe(
      '1 elements added (1 acknowledged): 1 ok, 0 stale, 0 lost, 0 never read, 0 unexpected',
    );
  });

  it('an acknowledged add missing from every later read is lost, named with its events', () => {
    const r = checkSet(
      script([
        [0, 'invoke', 'add', 1],
        [0, 'ok', 'add', 1],
        [1, 'invoke', 'read', null],
        [1, 'ok', 'read', [1]],
        [1, 'invoke', 'read', null],
        [1, 'ok', 'read', []],
        [2, 'invoke', 'read', null],
        [2, 'ok', 'read', null],
      ]),
    );
    expect(r).toMatchObject({ valid: false, lost: 1 });
    expect(r.lostElements[0]).toMatchObject({
      element: 1,
      ackIndex: 1,
      lastSeenIndex: 3,
      lastMissedIndex: 6,
      readsMissing: 2,
    });
    expect(r.summary).toMatch(
      /^1 element\(s\) lost, e.g. 1 acknowledged at event 1, missing from the last 2 read/,
    );
  });

  it('an element missing at first, then always present, is stale (an error only when linearizable)', () => {
    const h = script([
      [0, 'invoke', 'add', 'x'],
      [0, 'ok', 'add', 'x'],
      [1, 'invoke', 'read', null],
      [1, 'ok', 'read', []],
      [1, 'invoke', 'read', null],
      [1, 'ok', 'read', ['x']],
    ]);
    const r = checkSet(h);
    expect(r).toMatchObject({ valid: true, stale: 1, ok: 0 });
    expect(r.staleElements[0]).toMatchObject({ element: 'x', staleMs: 3 });
    expect(checkSet(h, { linearizable: true }).valid).toBe(false);
  });

  it('reads concurrent with the add do not count; an unacknowledged add seen once is known from then on', () => {
    const r = checkSet(
      script([
        [0, 'invoke', 'add', 1],
        [1, 'invoke', 'read', null],
        [1, 'ok', 'read', []], // began before the add was known
        [0, 'info', 'add', 1],
        [2, 'invoke', 'add', 2],
        [2, 'info', 'add', 2], // never seen: nothing to judge
        [3, 'invoke', 'read', null],
        [3, 'ok', 'read', [1]],
        [3, 'invoke', 'read', null],
        [3, 'ok', 'read', []],
      ]),
    );
    expect(tally(r)).toEqual({
      valid: false,
      attempted: 2,
      acknowledged: 0,
      ok: 0,
      stale: 0,
      lost: 1,
      neverRead: 0,
      unexpected: 0,
      unknown: 1,
    });
  });

  it('an element read but never added, or whose add failed, is unexpected', () => {
    const r = checkSet(
      script([
        [0, 'invoke', 'add', 1],
        [0, 'fail', 'add', 1],
        [1, 'invoke', 'read', null],
        [1, 'ok', 'read', [1, { a: 1 }]],
      ]),
    );
    expect(r).toMatchObject({ valid: false, unexpected: 2 });
    expect(r.unexpectedElements.map((e) => e.element)).toEqual([1, { a: 1 }]);
  });

  it('keys are separate sets; nothing read after the add is unknown', () => {
    const h = script([
      [0, 'invoke', 'add', 1, 'a'],
      [0, 'ok', 'add', 1, 'a'],
      [1, 'invoke', 'read', null, 'b'],
      [1, 'ok', 'read', [], 'b'],
    ]);
    expect(checkSet(h)).toMatchObject({ valid: 'unknown', neverRead: 1 });
    expect(checkSet({ ...h, realTime: false }).valid).toBe('unknown');
  });

  it('agrees with the brute-force oracle on random small histories', () => {
    fc.assert(
      fc.property(randomHistory('set'), fc.boolean(), (h, linearizable) => {
        expect(tally(checkSet(h, { linearizable }))).toEqual(oracle(h, linearizable));
      }),
      { numRuns: 3000 },
    );
  });
});
