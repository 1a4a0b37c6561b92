import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCounter } from '../../src/checker/counter.js';
import type { History } from '../../src/history/op.js';
import { pairOperations } from '../../src/history/operations.js';
import { randomHistory, script } from './set-counter-helpers.js';

/** The bounds of every read, summed from scratch over every increment. */
function oracle(history: History, initial = 0) {
  const ops = pairOperations(history);
  let reads = 0;
  let outOfBounds = 0;
  for (const r of ops.filter((o) => o.f === 'read' && o.type === 'ok')) {
    reads++;
    let lower = initial;
    let upper = initial;
    for (const i of ops.filter((o) => o.f === 'incr' && o.key === r.key && o.type !== 'fail')) {
      const d = i.input as number;
      const acked = i.type === 'ok' && i.returnIndex < r.callIndex;
      const attempted = i.callIndex < r.returnIndex;
      if (d > 0 && acked) lower += d;
      if (d < 0 && attempted) lower += d;
      if (d > 0 && attempted) upper += d;
      if (d < 0 && acked) upper += d;
    }
    const v = r.output === null ? initial : (r.output as number);
    if (v < lower || v > upper) outOfBounds++;
  }
  return { valid: outOfBounds === 0, reads, outOfBounds };
}

describe('counter checker', () => {
  it('reads between acknowledged and attempted increments are valid', () => {
    const r = checkCounter(
      script([
        [0, 'invoke', 'incr', 1],
        [0, 'ok', 'incr', 1],
        [0, 'invoke', 'incr', 2],
        [1, 'invoke', 'read', null],
        [1, 'ok', 'read', 1], // the 2 was in flight: 1..3
        [0, 'ok', 'incr', 2],
        [1, 'invoke', 'read', null],
        [1, 'ok', 'read', 3],
      ]),
    );
    expect(r).toMatchObject({ checker: 'counter', valid: true, reads: 2, outOfBounds: 0 });
    expect(r.final).toEqual([{ key: undefined, value: 3, lower: 3, upper: 3 }]);
    expect(r.summary).toBe('all 2 reads within bounds (2 increments attempted, 2 acknowledged)');
  });

  it('a read below the acknowledged increments is a lost increment', () => {
    const r = checkCounter(
      script([
        [0, 'invoke', 'incr', 4],
        [0, 'ok', 'incr', 4],
        [1, 'invoke', 'read', null],
        [1, 'ok', 'read', 0],
      ]),
    );
    expect(r).toMatchObject({ valid: false, outOfBounds: 1 });
    expect(r.errors[0]).toMatchObject({
      problem: 'below',
      lower: 4,
      upper: 4,
      value: 0,
      invokeIndex: 2,
      completeIndex: 3,
    });
    expect(r.summary).toMatch(
      /read 0 at event 3, below 4, the sum of the increments acknowledged before it began/,
    );
  });

  it('info increments widen the upper bound; failed ones do not; reads above are double-applied', () => {
    const h = script([
      [0, 'invoke', 'incr', 1],
      [0, 'info', 'incr', 1],
      [1, 'invoke', 'incr', 5],
      [1, 'fail', 'incr', 5],
      [2, 'invoke', 'read', null],
      [2, 'ok', 'read', 1],
      [2, 'invoke', 'read', null],
      [2, 'ok', 'read', 6],
    ]);
    const r = checkCounter(h);
    expect(r).toMatchObject({
      valid: false,
      outOfBounds: 1,
      increments: { attempted: 1, ok: 0, fail: 1, info: 1 },
    });
    expect(r.errors[0]).toMatchObject({ problem: 'above', value: 6, lower: 0, upper: 1 });
  });

  it('with decrements the bounds swap per sign; null reads mean the initial value; keys are separate', () => {
    const r = checkCounter(
      script([
        [0, 'invoke', 'incr', -3, 'a'],
        [0, 'ok', 'incr', -3, 'a'],
        [1, 'invoke', 'incr', -2, 'a'],
        [2, 'invoke', 'read', null, 'a'],
        [2, 'ok', 'read', 7, 'a'], // between 10 - 3 - 2 and 10 - 3
        [2, 'invoke', 'read', null, 'b'],
        [2, 'ok', 'read', null, 'b'],
        [2, 'invoke', 'read', null, 'a'],
        [2, 'ok', 'read', 10, 'a'],
      ]),
      { initial: 10 },
    );
    expect(r).toMatchObject({ valid: false, reads: 3, outOfBounds: 1 });
    expect(r.errors[0]).toMatchObject({ key: 'a', problem: 'above', lower: 5, upper: 7 });
  });

  it('agrees with the brute-force oracle on random small histories', () => {
    fc.assert(
      fc.property(randomHistory('counter'), fc.integer({ min: -2, max: 2 }), (h, initial) => {
        const r = checkCounter(h, { initial });
        expect({ valid: r.valid, reads: r.reads, outOfBounds: r.outOfBounds }).toEqual(oracle(h, initial));
      }),
      { numRuns: 3000 },
    );
  });
});
