/**
 * Bad input never crashes: any mutation of a valid file either still parses to a history or
 * fails with one InputError line naming the file and, where there is one, the line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/history/errors.js';
import { toJsonl } from '../../src/history/jsonl.js';
import { parseHistoryBytes, readHistoryFile } from '../../src/history/read.js';
import { PEERS } from '../peers.js';

type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'drop-line'; line: number }
  | { kind: 'duplicate-line'; line: number }
  | { kind: 'swap-lines'; a: number; b: number }
  | { kind: 'junk'; at: number; bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('drop-line' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate-line' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('swap-lines' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({
    kind: fc.constant('junk' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
);

function apply(bytes: Buffer, m: Mutation): Buffer {
  const lines = () => bytes.toString('latin1').split('\n');
  const join = (ls: string[]) => Buffer.from(ls.join('\n'), 'latin1');
  switch (m.kind) {
    case 'truncate':
      return bytes.subarray(0, m.at % (bytes.length + 1));
    case 'flip': {
      const out = Buffer.from(bytes);
      if (out.length > 0) out[m.at % out.length] = m.byte;
      return out;
    }
    case 'drop-line': {
      const ls = lines();
      ls.splice(m.line % ls.length, 1);
      return join(ls);
    }
    case 'duplicate-line': {
      const ls = lines();
      const i = m.line % ls.length;
      ls.splice(i, 0, ls[i]!);
      return join(ls);
    }
    case 'swap-lines': {
      const ls = lines();
      const a = m.a % ls.length;
      const b = m.b % ls.length;
      [ls[a], ls[b]] = [ls[b]!, ls[a]!];
      return join(ls);
    }
    case 'junk': {
      const at = m.at % (bytes.length + 1);
      return Buffer.concat([bytes.subarray(0, at), Buffer.from(m.bytes), bytes.subarray(at)]);
    }
  }
}

const samples = [
  'porcupine/test_data/jepsen/etcd_007.log',
  'porcupine/test_data/kv/c01-bad.txt',
  'knossos/data/cas-register/bad/cas-failure.edn',
  'knossos/data/multi-register/good/multi-register.edn',
  'knossos/data/mutex/bad/etcd.edn',
  'causal/tla-causal-consistency/histories/popl17_fig2a.json',
].map((f) => join(PEERS, f));

describe('malformed input', () => {
  it.each(samples)('mutations of %s parse or fail with one clear line', async (path) => {
    const original = readFileSync(path);
    const jsonl = Buffer.from(toJsonl(await readHistoryFile(path)));
    for (const base of [original, jsonl]) {
      fc.assert(
        fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => {
          const bytes = mutations.reduce(apply, base);
          try {
            const history = parseHistoryBytes(bytes, 'mutated.txt');
            history.ops.forEach((op, i) => {
              expect(op.index).toBe(i);
            });
          } catch (e) {
            if (!(e instanceof InputError)) throw e;
            expect(e.message).not.toContain('\n');
            expect(e.message).toMatch(/^mutated\.txt(:\d+)?: \S/);
            if (e.line !== undefined) expect(e.line).toBeGreaterThanOrEqual(1);
          }
        }),
        { numRuns: 150 },
      );
    }
  });

  it('binary junk is named as such', () => {
    expect(() => parseHistoryBytes(Buffer.from([0x7b, 0x0a, 0x00, 0xff, 0xfe]), 'bin')).toThrow(
      'bin:2: binary data (not UTF-8 text)',
    );
  });
});
