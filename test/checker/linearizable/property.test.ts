/**
 * The checker against a brute-force oracle (every real-time-consistent order of every subset of
 * info operations) on thousands of small random histories, for every model and option.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkLinearizableSync,
  type LinearizableOptions,
  modelByName,
} from '../../../src/checker/linearizable/index.js';
import { bruteForce, coin, type OracleOptions, randomHistory, rng, workloads } from './oracle.js';

interface Case {
  name: string;
  workload: string;
  infoRate?: number;
  options: LinearizableOptions;
  oracle?: OracleOptions;
}

const cases: Case[] = [
  { name: 'register from nil', workload: 'register', options: { model: 'register' } },
  {
    name: 'register from 0, nil reads unknown',
    workload: 'register',
    options: { model: 'register', initial: 0 },
  },
  { name: 'cas-register, failed cas dropped', workload: 'cas-register', options: { model: 'cas-register' } },
  {
    name: 'cas-register, failed cas is a mismatch',
    workload: 'cas-register',
    options: { model: 'cas-register', failedCas: 'mismatch' },
    oracle: { failIsAnswer: (op) => op.f === 'cas' },
  },
  {
    name: 'cas-register from 0, nil reads unknown, mismatch',
    workload: 'cas-register',
    options: { model: 'cas-register', initial: 0, nilRead: 'unknown', failedCas: 'mismatch' },
    oracle: { failIsAnswer: (op) => op.f === 'cas' },
  },
  { name: 'kv', workload: 'kv', options: { model: 'kv' } },
  { name: 'mutex', workload: 'mutex', options: { model: 'mutex' } },
  { name: 'fifo-queue', workload: 'fifo-queue', options: { model: 'fifo-queue' } },
  {
    name: 'unordered-queue (nondeterministic)',
    workload: 'unordered-queue',
    options: { model: 'unordered-queue' },
  },
  {
    name: 'unordered-queue, many info dequeues',
    workload: 'unordered-queue',
    infoRate: 0.5,
    options: { model: 'unordered-queue' },
  },
  { name: 'coin (nondeterministic, a model object)', workload: 'coin', options: { model: coin } },
  { name: 'set', workload: 'set', options: { model: 'set' } },
  {
    name: 'multi-register',
    workload: 'multi-register',
    options: { model: 'multi-register', initial: { x: 0, y: 0 } },
  },
];

describe('linearizable agrees with a brute-force oracle', () => {
  for (const c of cases) {
    it(`${c.name}: 2000 random histories`, () => {
      const model =
        typeof c.options.model === 'string' ? modelByName(c.options.model, c.options)! : c.options.model;
      const tally = { true: 0, false: 0 };
      fc.assert(
        fc.property(fc.integer(), fc.integer({ min: 1, max: 4 }), (seed, procs) => {
          const ops = randomHistory(workloads[c.workload]!, rng(seed), 8, procs, c.infoRate);
          const expected = bruteForce(model, ops, c.oracle);
          const got = checkLinearizableSync(ops, c.options).valid;
          tally[expected ? 'true' : 'false']++;
          expect(got).toBe(expected);
          // The fingerprint memo (used for long keys) must agree as well.
          expect(checkLinearizableSync(ops, { ...c.options, fingerprintAbove: 0 }).valid).toBe(expected);
        }),
        { numRuns: 2000 },
      );
      // Larger histories, fewer of them (the oracle is exponential).
      fc.assert(
        fc.property(fc.integer(), fc.integer({ min: 2, max: 5 }), (seed, procs) => {
          const ops = randomHistory(workloads[c.workload]!, rng(seed), 10, procs, c.infoRate);
          expect(checkLinearizableSync(ops, c.options).valid).toBe(bruteForce(model, ops, c.oracle));
        }),
        { numRuns: 200 },
      );
      // Both verdicts must be well represented, or the test proves little.
      // (At least 2% each: the rarer verdict runs near 4-5% for some models, so 80 of 2000 flaked.)
      expect(tally.true).toBeGreaterThan(40);
      expect(tally.false).toBeGreaterThan(40);
    });
  }
});
