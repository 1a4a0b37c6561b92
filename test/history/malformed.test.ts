/**
 * Bad input never crashes: any mutation of a valid file either still parses to a history or
 * fails with one InputError line naming the file and, where there is one, the line. The
 * hostile corpus (hostile-corpus.ts) adds deep nesting, huge tokens, control characters and
 * special files for every format, each judged against the whole contract.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/history/errors.js';
import { toJepsenEdn } from '../../src/history/export-edn.js';
import { toJsonl } from '../../src/history/jsonl.js';
import { parseHistoryBytes, readHistoryFile } from '../../src/history/read.js';
import { PEERS } from '../peers.js';
import { cleanupCorpus, contractViolation, HOSTILE } from './hostile-corpus.js';

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
  'causal/tla-causal-consistency/histories/cctest_hd_alt.json',
  'porcupine/test_data/jepsen/etcd_100.log',
].map((f) => join(PEERS, f));

const RUNS = 150;
let mutated = 0;

describe('malformed input', () => {
  afterAll(() => {
    process.stdout.write(
      `malformed input: ${mutated} mutated files, every one parsed or refused by the contract\n`,
    );
  });

  it.each(samples)('mutations of %s parse or fail with one clear line', async (path) => {
    const original = readFileSync(path);
    const jsonl = Buffer.from(toJsonl(await readHistoryFile(path)));
    // The file as it is, as faultline JSONL, and as a Jepsen history.edn (one map a line).
    const edn = Buffer.from(toJepsenEdn(await readHistoryFile(path)));
    for (const base of [original, jsonl, edn]) {
      fc.assert(
        fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => {
          mutated++;
          const bytes = mutations.reduce(apply, base);
          try {
            const history = parseHistoryBytes(bytes, 'mutated.txt');
            history.ops.forEach((op, i) => {
              expect(op.index).toBe(i);
            });
          } catch (e) {
            if (!(e instanceof InputError)) throw e;
            expect(contractViolation(e, 'mutated.txt', { content: true })).toBeUndefined();
          }
        }),
        { numRuns: RUNS },
      );
    }
  });

  it('binary junk is named as such', () => {
    expect(() => parseHistoryBytes(Buffer.from([0x7b, 0x0a, 0x00, 0xff, 0xfe]), 'bin')).toThrow(
      'bin:2: binary data (not UTF-8 text)',
    );
  });
});

describe('hostile corpus', () => {
  const met: string[] = [];
  afterAll(async () => {
    await cleanupCorpus();
    process.stdout.write(
      `hostile corpus: ${met.length} of ${HOSTILE.length} inputs meet the bad-input contract\n`,
    );
  });

  it('has inputs of every kind for every format', () => {
    const kinds = new Set(HOSTILE.map((h) => h.kind));
    expect([...kinds].sort()).toEqual(['control', 'deep', 'huge', 'special', 'structure']);
    const formats = new Set(HOSTILE.map((h) => h.format));
    for (const f of ['edn', 'jsonl', 'porcupine-etcd', 'sessions-json']) expect(formats).toContain(f);
    expect(HOSTILE.length).toBeGreaterThanOrEqual(100);
  });

  it.each(HOSTILE.map((h) => [h.name, h] as const))('%s', async (_name, hostile) => {
    const { path, options } = await hostile.make();
    const started = performance.now();
    let violation: string | undefined;
    try {
      const history = await readHistoryFile(path, options);
      violation = hostile.expect === 'error' ? 'was accepted' : undefined;
      history.ops.forEach((op, i) => {
        if (op.index !== i) violation = `index ${op.index} at position ${i}`;
      });
    } catch (e) {
      if (!(e instanceof InputError))
        violation = `threw ${(e as Error).name}: ${(e as Error).message.slice(0, 200)}`;
      else {
        violation = contractViolation(e, path, {
          content: hostile.kind !== 'special' || hostile.content === true,
        });
        if (violation === undefined && hostile.expect === 'ok') violation = `was refused: ${e.message}`;
        if (violation === undefined && hostile.says && !e.message.includes(hostile.says))
          violation = `says ${JSON.stringify(e.message)}, not ${JSON.stringify(hostile.says)}`;
      }
    } finally {
      await hostile.cleanup?.();
    }
    const seconds = (performance.now() - started) / 1000;
    if (violation === undefined && seconds > 20) violation = `took ${seconds.toFixed(1)} s`;
    expect(violation).toBeUndefined();
    met.push(hostile.name);
  });
});
