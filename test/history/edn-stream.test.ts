/**
 * The byte-level EDN reader (edn-stream.ts) against the generic one (edn.ts and the Jepsen
 * importer): on random lines (every EDN spelling of numbers, keywords, symbols and strings,
 * escapes, characters, tagged literals, sets, discards, comments, commas, extra, repeated and
 * missing fields, independent tuples, broken bytes) the read path with it gives exactly what
 * the text path gives: the same ops with the same fields in the same order and the same source
 * lines, or the same error. So does every peer EDN history. On lines in the writer's own shape
 * it must not give up, so the comparison is not won by always falling back.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateFaultyHistory } from '../../bench/history-gen.js';
import { sourceLine } from '../../src/history/build.js';
import { readEdnBytes } from '../../src/history/edn-stream.js';
import { toJepsenEdn } from '../../src/history/export-edn.js';
import { parseJepsenEdn } from '../../src/history/import/jepsen-edn.js';
import type { History } from '../../src/history/op.js';
import { detectFormat, parseHistoryBytes, readHistoryFile } from '../../src/history/read.js';
import { PEERS } from '../peers.js';
import { fileBytes } from './generators.js';

type Outcome = { ops: unknown[]; shapes: string[]; lines: Array<number | undefined> } | { error: string };

function outcome(read: () => History): Outcome {
  try {
    const h = read();
    return {
      ops: h.ops,
      // toEqual ignores the order of fields; the ops must be built alike.
      shapes: h.ops.map((op) => Object.keys(op).join()),
      lines: h.ops.map((_, i) => sourceLine(h, i)),
    };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

type Independent = boolean | undefined;

/** What the read path gave before: the text, the generic reader and buildHistory. */
const textPath = (bytes: Buffer, independent: Independent) =>
  outcome(() => parseHistoryBytes(bytes, 'h.edn', { format: 'edn', independent }));
/** What it gives now: the byte reader, falling back to the text path when it gives up. */
const bytePath = (bytes: Buffer, chunkBytes: number, independent: Independent) =>
  outcome(
    () =>
      readEdnBytes(bytes, { chunkBytes, independent }) ??
      parseHistoryBytes(bytes, 'h.edn', { format: 'edn', independent }),
  );

/** EDN spellings of numbers: plain, signed, padded, big, float, ratio, out of range. */
const number = fc.oneof(
  fc.integer({ min: -50, max: 50 }).map(String),
  fc.constantFrom('-0', '+3', '007', '3N', '2.5', '1e3', '1.5M', '1/2', '-0.0', '1e999', '12abc', '-'),
  fc.constantFrom('123456789012345', '1234567890123456', '9007199254740993', '12345678901234567890'),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
);
const name = fc.constantFrom('read', 'write', 'cas', 'ok', 'nemesis', 'k1', 'a/b', 'x-y?', 'a#b', 'é', 'a:b');
const keyword = fc.oneof(
  name.map((n) => `:${n}`),
  fc.constantFrom(':', '::x', ':__proto__', ':constructor', ':1'),
);
const symbol = fc.oneof(name, fc.constantFrom('nil', 'true', 'false', 'foo', '+', 'a\\b'));
const stringText = fc.oneof(
  fc.string({ maxLength: 8 }).map((s) => JSON.stringify(s)),
  fc.string({ maxLength: 6, unit: 'binary' }).map((s) => `"${s.replace(/["\\\n]/g, '')}"`),
  fc.constantFrom('"k1"', '"n2"', '""', '"a\\"b"', '"\\u00e9\\n"', '"\\q"', '"tab\there"', '"x'),
);
const character = fc.constantFrom('\\a', '\\newline', '\\u0041', '\\(', '\\space', '\\constructor');

const ws = fc.constantFrom(' ', ' ', ', ', ',', '\t', '  ', '\r ', '\f');

const ednValue: fc.Arbitrary<string> = fc.letrec<{ v: string }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('nil', 'true', 'false'),
    number,
    keyword,
    symbol,
    stringText,
    character,
    fc
      .tuple(fc.constantFrom('[', '(', '#{'), fc.array(tie('v'), { maxLength: 3 }), ws)
      .map(
        ([open, items, sep]) => `${open}${items.join(sep)}${open === '[' ? ']' : open === '(' ? ')' : '}'}`,
      ),
    fc
      .array(fc.tuple(fc.oneof(keyword, stringText, number), tie('v')), { maxLength: 3 })
      .map((entries) => `{${entries.map(([k, v]) => `${k} ${v}`).join(', ')}}`),
    fc
      .tuple(fc.constantFrom('#inst ', '#jepsen.history.Op', '#_ '), tie('v'))
      .map(([tag, v]) => `${tag}${v}`),
  ),
})).v;

const asciiName = name.filter((k) => /^[\x21-\x7e]+$/.test(k));

/**
 * Values in the shape the byte reader reads itself: integers, keywords, plain strings,
 * collections; `near`, now and then one it must leave to the generic reader instead, one
 * character away from that shape.
 */
const shapedValue = (near: boolean): fc.Arbitrary<string> =>
  fc.letrec<{ v: string }>((tie) => ({
    v: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom('nil', 'true', 'false', '-0', '0', '123456789012345'),
      fc.integer().map(String),
      asciiName.map((n) => `:${n}`),
      fc
        .string({
          maxLength: 40,
          unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
        })
        .map((s) => `"${s.replace(/["\\]/g, '')}"`),
      fc
        .tuple(fc.constantFrom('[', '('), fc.array(tie('v'), { maxLength: 3 }), ws)
        .map(([open, items, sep]) => `${open}${items.join(sep)}${open === '[' ? ']' : ')'}`),
      fc
        .array(fc.tuple(near ? fc.oneof(asciiName, fc.constant('__proto__')) : asciiName, tie('v')), {
          maxLength: 3,
        })
        .map((entries) => `{${entries.map(([k, v]) => `:${k} ${v}`).join(', ')}}`),
      ...(near
        ? [
            fc.constantFrom(
              '::k',
              '12abc',
              '1N',
              '-5x',
              '"a\\"b"',
              'nilly',
              'truex',
              '#_ 1 2',
              '\\a',
              '1.0',
              '+1',
            ),
          ]
        : []),
    ),
  })).v;
const commonValue = shapedValue(false);
const nearValue = shapedValue(true);

/** How a field's key is written: mostly a keyword, at times a string, symbol or namespaced one. */
const fieldKey = (field: string, odd: boolean) =>
  odd
    ? fc.oneof(
        { arbitrary: fc.constant(`:${field}`), weight: 6 },
        { arbitrary: fc.constantFrom(`"${field}"`, field, `::${field}`, `:jepsen/${field}`), weight: 1 },
      )
    : fc.constant(`:${field}`);

interface LineSpec {
  process: number;
  type: string;
  f: string;
  index: number;
  /** The value as jepsen.independent writes it, `[k v]`, with no `:key`. */
  tuple: boolean;
}

const plainValue = (f: string) =>
  f === 'cas'
    ? fc.tuple(fc.oneof(fc.constant('nil'), fc.nat(5).map(String)), fc.nat(5)).map(([a, b]) => `[${a} ${b}]`)
    : fc.oneof(fc.constant('nil'), fc.nat(9).map(String));

/** One event line: the given fields (spelt at random), plus at random extra, missing or odd ones. */
function line(spec: LineSpec, odd: boolean, tailed: boolean): fc.Arbitrary<string> {
  const value = spec.tuple
    ? fc
        .tuple(fc.constantFrom('"k1"', '"k2"', '3', ':k'), plainValue(spec.f), fc.boolean())
        .map(([k, v, pair]) => (pair || spec.f !== 'cas' ? `[${k} ${v}]` : v))
    : plainValue(spec.f);
  /** In an odd line, a field is spelt oddly one time in four (so that some odd lines are valid). */
  const mostly = (usual: fc.Arbitrary<string>, ...others: fc.Arbitrary<string>[]) =>
    odd ? fc.oneof({ arbitrary: usual, weight: 3 }, { arbitrary: fc.oneof(...others), weight: 1 }) : usual;
  const fields = fc.record({
    index: fc.option(mostly(fc.constant(String(spec.index)), ednValue)),
    time: fc.option(mostly(fc.nat(10 ** 12).map(String), fc.constant('nil'), number)),
    process: mostly(
      fc.constant(String(spec.process)),
      fc.constantFrom(':nemesis', 'nemesis', '"nemesis"'),
      number,
    ),
    type: mostly(fc.constant(`:${spec.type}`), fc.constant(`"${spec.type}"`), ednValue),
    f: mostly(fc.constant(`:${spec.f}`), fc.constant(spec.f), ednValue),
    key: fc.option(
      spec.tuple ? mostly(fc.constant('nil'), fc.constant('"k1"')) : mostly(fc.constant('"k1"'), ednValue),
    ),
    value: fc.option(mostly(fc.oneof(value, value, commonValue), nearValue, ednValue), { freq: 8 }),
    error: fc.option(mostly(fc.oneof(fc.constant(':timeout'), commonValue), nearValue, ednValue)),
    node: fc.option(mostly(fc.oneof(fc.constant('"n1"'), commonValue), nearValue, ednValue)),
  });
  const extras = odd
    ? fc.array(fc.tuple(fc.oneof(keyword, fc.constantFrom(':f', ':value', ':type')), ednValue), {
        maxLength: 2,
      })
    : fc.constant([]);
  return fc
    .tuple(
      fields.chain((f) =>
        fc.tuple(
          ...Object.entries(f)
            .filter((e): e is [string, string] => e[1] !== null)
            .map(([k, v]) => fieldKey(k, odd).map((key): [string, string] => [key, v])),
        ),
      ),
      extras,
      fc.nat(),
      odd ? fc.array(ws, { minLength: 3, maxLength: 3 }) : fc.constant([' ', ', ', '']),
      // What may follow the map on its line: comments, a discard, another form, a stray closer.
      tailed
        ? fc.constantFrom(' ; note', ';', ' #_ :x', ' {:f :read}', ' ;é', ']', ' :x', ',')
        : fc.constant(''),
    )
    .map(([entries, extra, seed, [inner, sep, edge], tail]) => {
      const all: Array<[string, string]> = [...entries, ...extra];
      // A key order of the seed's choosing.
      for (let i = all.length - 1; i > 0; i--) {
        const j = (seed + i * 7919) % (i + 1);
        [all[i], all[j]] = [all[j]!, all[i]!];
      }
      return `{${edge}${all.map(([k, v]) => `${k}${inner}${v}`).join(sep)}${edge}}${tail}`;
    });
}

/** Whole files: invoke/complete pairs of a few processes, some lines odd, some bytes broken. */
const file = (odd: boolean) =>
  fc
    .tuple(
      fc.array(
        fc.record({
          process: fc.integer({ min: 0, max: 3 }),
          f: fc.constantFrom('read', 'write', 'cas'),
          type: fc.constantFrom('ok', 'ok', 'fail', 'info'),
        }),
        { minLength: 1, maxLength: 5 },
      ),
      fc.boolean(),
    )
    .chain(([steps, tuple]) => {
      const specs: LineSpec[] = [];
      for (const s of steps) {
        specs.push({ process: s.process, type: 'invoke', f: s.f, index: specs.length, tuple });
        specs.push({ process: s.process, type: s.type, f: s.f, index: specs.length, tuple });
      }
      return fc.tuple(
        // In an odd file, a line in three is odd (so that some files are still valid).
        fc.tuple(
          ...specs.map((spec) =>
            fc.tuple(fc.nat(2), fc.nat(5)).chain(([n, t]) => line(spec, odd && n === 0, odd && t === 0)),
          ),
        ),
        odd
          ? fc.constantFrom('\n', '\n', '\r\n', '\n\n', '\n ; a comment\n', '\n,\n', '\n#_ {:a 1}\n', '\n[\n')
          : fc.constantFrom('\n', '\n\n', '\n; comment\n'),
        fc.boolean(),
        odd
          ? fc.oneof(
              { arbitrary: fc.constant(null), weight: 3 },
              {
                arbitrary: fc.tuple(
                  fc.nat(),
                  fc.constantFrom(0x00, 0xff, 0xc3, 0x0b, 0x5c, 0x22, 0x7b, 0x3b, 0x0a),
                ),
                weight: 1,
              },
            )
          : fc.constant(null),
      );
    })
    .map(([lines, sep, trailing, broken]) => fileBytes(lines, sep, trailing, broken));

const chunk = fc.constantFrom(64, 100, 1000, 4 * 2 ** 20);
const independent = fc.constantFrom<Independent>(undefined, undefined, true, false);

describe('EDN byte reader', () => {
  it('gives what the text path gives on random lines, valid and invalid', () => {
    let accepted = 0;
    let valid = 0;
    fc.assert(
      fc.property(file(true), chunk, independent, (bytes, chunkBytes, mode) => {
        const expected = textPath(bytes, mode);
        expect(bytePath(bytes, chunkBytes, mode)).toEqual(expected);
        if ('ops' in expected) valid++;
        if (readEdnBytes(bytes, { chunkBytes, independent: mode }) !== undefined) accepted++;
      }),
      { numRuns: 1500 },
    );
    console.log('valid', valid, 'accepted', accepted);
    // The comparison covers both outcomes, and the byte reader's own parsing, not just its fallback.
    expect(valid).toBeGreaterThan(60);
    expect(accepted).toBeGreaterThan(60);
  });

  it('reads lines in the writer’s shape itself, exactly as the text path', () => {
    let tuples = 0;
    fc.assert(
      fc.property(file(false), chunk, independent, (bytes, chunkBytes, mode) => {
        const checked = outcome(() => parseJepsenEdn(bytes.toString('utf8'), 'h.edn', { independent: mode }));
        const fast = readEdnBytes(bytes, { chunkBytes, independent: mode });
        if ('error' in checked) expect(fast).toBeUndefined();
        else {
          expect(fast).toBeDefined();
          expect(outcome(() => fast!)).toEqual(checked);
          if (fast!.ops.some((op) => op.key !== undefined && op.process !== 'nemesis')) tuples++;
        }
      }),
      { numRuns: 800 },
    );
    expect(tuples).toBeGreaterThan(10);
  });

  it('reads values of every shape as the generic reader does (fault events, which pair with nothing)', () => {
    let accepted = 0;
    const anyValue = fc.oneof(commonValue, nearValue, nearValue, ednValue);
    const faultLine = fc
      .record({
        value: anyValue,
        error: anyValue,
        node: anyValue,
        time: fc.nat(),
        // Another field: one a letter away from ours, or ours again (the last one wins).
        extraKey: fc.constantFrom(
          ':x',
          ':tyme',
          ':nope',
          ':tame',
          ':typo',
          ':valuE',
          ':nodes',
          ':proc',
          ':keys',
          ':errol',
          ':fx',
          ':index',
          ':processes',
          ':value',
          ':node',
          ':error',
        ),
        extra: anyValue,
      })
      .map(
        (v) =>
          `{:process :nemesis, :type :info, :f :kill, :value ${v.value}, :error ${v.error}` +
          `, :node ${v.node}, :time ${v.time}, ${v.extraKey} ${v.extra}}`,
      );
    fc.assert(
      fc.property(fc.array(faultLine, { minLength: 1, maxLength: 4 }), chunk, (lines, chunkBytes) => {
        const bytes = Buffer.from(lines.join('\n'));
        expect(bytePath(bytes, chunkBytes, undefined)).toEqual(textPath(bytes, undefined));
        if (readEdnBytes(bytes, { chunkBytes }) !== undefined) accepted++;
      }),
      { numRuns: 1500 },
    );
    expect(accepted).toBeGreaterThan(100);
  });

  it('reads a generated run history across chunk edges, as a :key field or as tuples', () => {
    const history = { ops: generateFaultyHistory({ ops: 2000, keys: 5, processes: 6 }), realTime: true };
    for (const independentTuples of [false, true]) {
      const text = toJepsenEdn(history, { independentTuples });
      const expected = outcome(() => parseJepsenEdn(text, 'h.edn'));
      expect('ops' in expected && expected.ops.length).toBe(history.ops.length);
      for (const chunkBytes of [64, 101, 777, 2 ** 16]) {
        const h = readEdnBytes(Buffer.from(text), { chunkBytes });
        expect(h).toBeDefined();
        expect(outcome(() => h!)).toEqual(expected);
      }
    }
  });

  it('gives up on what it must not accept: NUL, bad UTF-8, a line over the byte limit, no events', () => {
    const ok = '{:index 0, :time 0, :process 0, :type :invoke, :f :read, :value nil}';
    expect(readEdnBytes(Buffer.from(`${ok}\n`))).toBeDefined();
    expect(readEdnBytes(Buffer.from(`${ok}\n; a \u0000 comment\n`))).toBeUndefined();
    expect(readEdnBytes(Buffer.concat([Buffer.from(`${ok} ;`), Buffer.from([0xff])]))).toBeUndefined();
    expect(readEdnBytes(Buffer.from(`${ok}\n`), { maxBytes: 10, chunkBytes: 64 })).toBeUndefined();
    expect(readEdnBytes(Buffer.from('; nothing\n'))).toBeUndefined();
    expect(readEdnBytes(Buffer.from(`[${ok}]\n`))).toBeUndefined();
  });
});

/** Every file under the peers' directories that reads as EDN (by name or by content). */
function peerEdnFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...peerEdnFiles(path));
    else if (
      entry.endsWith('.edn') ||
      (/\.(txt|log)$/.test(entry) && detectFormat(readFileSync(path, 'utf8')) === 'edn')
    )
      out.push(path);
  }
  return out;
}

describe('EDN byte reader on the peers’ histories', () => {
  const files = peerEdnFiles(PEERS);

  it('finds them', () => {
    expect(files.length).toBeGreaterThan(120);
  });

  it.each(files.map((f) => [f.slice(PEERS.length + 1), f]))(
    '%s reads as the text path reads it',
    async (_, path) => {
      const bytes = readFileSync(path);
      // Every tuple mode on the small files; the 2.8 MB Elle history in the default mode only (time).
      const modes = bytes.length > 2 ** 20 ? [undefined] : [undefined, true, false];
      for (const mode of modes) {
        const expected = textPath(bytes, mode);
        expect(
          outcome(
            () =>
              readEdnBytes(bytes, { independent: mode }) ??
              parseHistoryBytes(bytes, 'h.edn', { format: 'edn', independent: mode }),
          ),
        ).toEqual(expected);
        expect(
          outcome(
            () =>
              readEdnBytes(bytes, { chunkBytes: 64, independent: mode }) ??
              parseHistoryBytes(bytes, 'h.edn', { format: 'edn', independent: mode }),
          ),
        ).toEqual(expected);
      }
      // And through the file reader, which takes the streaming path when it can.
      const viaFile = await readHistoryFile(path, { format: 'edn' }).then(
        (h) => outcome(() => h),
        (e: Error) => ({ error: e.message.replace(path, 'h.edn') }),
      );
      expect(viaFile).toEqual(textPath(bytes, undefined));
    },
  );

  it('reads the ones written one map a line itself', () => {
    const streamed = files.filter((f) => readEdnBytes(readFileSync(f)) !== undefined);
    expect(streamed.some((f) => f.includes('elle'))).toBe(true);
    expect(streamed.some((f) => f.includes('porcupine'))).toBe(true);
  });
});
