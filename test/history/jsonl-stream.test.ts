/**
 * The byte-level JSONL reader (jsonl-stream.ts) against the JSON.parse-based readers: on random
 * lines (unicode, escapes, numbers in every JSON spelling, key orders, extra and repeated fields,
 * whitespace, broken bytes) the read path with it gives exactly what the text path gives: the
 * same ops with the same source lines, or the same error. On lines in the writer's own shape it
 * must not give up, so the comparison is not won by always falling back.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateFaultyHistory, toJsonlText } from '../../bench/history-gen.js';
import { sourceLine } from '../../src/history/build.js';
import { parseJsonlChecked, parseJsonlFast } from '../../src/history/jsonl.js';
import { readJsonlBytes } from '../../src/history/jsonl-stream.js';
import type { History, Value } from '../../src/history/op.js';
import { parseHistoryBytes } from '../../src/history/read.js';
import { fileBytes } from './generators.js';

type Outcome = { ops: unknown[]; lines: Array<number | undefined> } | { error: string };

function outcome(read: () => History): Outcome {
  try {
    const h = read();
    return { ops: h.ops, lines: h.ops.map((_, i) => sourceLine(h, i)) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** What the read path gave before: the text, JSON.parse and the schema. */
const textPath = (bytes: Buffer) => outcome(() => parseHistoryBytes(bytes, 'h.jsonl', { format: 'jsonl' }));
/** What it gives now: the byte reader, falling back to the text path when it gives up. */
const bytePath = (bytes: Buffer, chunkBytes: number) =>
  outcome(
    () => readJsonlBytes(bytes, { chunkBytes }) ?? parseHistoryBytes(bytes, 'h.jsonl', { format: 'jsonl' }),
  );

/** Every JSON spelling of a number that JSON.parse reads as `n`, or near it. */
function spellings(n: number): string[] {
  const plain = Object.is(n, -0) ? '-0' : String(n);
  const out = [plain, n.toExponential(), `${plain}e0`, `${plain}E+0`];
  if (Number.isInteger(n) && Math.abs(n) < 1e15) out.push(`${plain}.0`, `${n * 10}e-1`, `${plain}.000E0`);
  return out.filter((s) => {
    try {
      return Number.isFinite(JSON.parse(s));
    } catch {
      return false; // 1e+21e0
    }
  });
}

const numberText = (n: fc.Arbitrary<number>) =>
  n.chain((x) => fc.constantFrom(...spellings(x)).map((text) => ({ text, x })));

/** A string's JSON text, some characters written as \u escapes or \/ when asked. */
function stringText(s: string, escapes: boolean[]): string {
  let out = '"';
  let i = 0;
  for (const ch of s) {
    const escapeIt = escapes[i++ % Math.max(1, escapes.length)] === true;
    const plain = JSON.stringify(ch).slice(1, -1);
    if (escapeIt && ch.length === 1) out += `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
    else if (escapeIt && ch === '/') out += '\\/';
    else out += plain;
  }
  return `${out}"`;
}

const anyString = fc.oneof(
  fc.constantFrom('read', 'write', 'cas', 'k1', 'n2', 'nemesis', 'ok', 'invoke', '', '__proto__', 'é'),
  fc.string({ maxLength: 6, unit: 'binary' }),
  fc.string({ maxLength: 40 }),
);
const stringField = fc
  .tuple(anyString, fc.array(fc.boolean(), { maxLength: 4 }), fc.boolean())
  .map(([s, escapes, escaped]) => stringText(s, escaped ? escapes : []));

const smallInt = fc.oneof(fc.integer({ min: 0, max: 60 }), fc.constantFrom(-1, -0, 2 ** 53, 1.5));
const anyValue: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  numberText(fc.double({ noNaN: true, noDefaultInfinity: true })).map((n) => n.text),
  fc.constantFrom('null', '[null,3]', '[1,2]', '{"a":1,"a":2}', '{"__proto__":1}', '1e999', '[[[[[1]]]]]'),
  fc.tuple(stringField, stringField).map(([a, b]) => `{${a}:${b}}`),
);

const ws = fc.constantFrom('', '', '', ' ', '\t', '\r', '  ');

interface LineSpec {
  process: number;
  type: string;
  f: string;
  index: number;
}

/** One event line: the given fields (spelt at random), plus at random extra, missing or odd ones. */
function line(spec: LineSpec, odd: boolean): fc.Arbitrary<string> {
  const fields = fc.record({
    index: odd
      ? fc.oneof(
          numberText(fc.constant(spec.index)).map((n) => n.text),
          smallInt.map(String),
        )
      : fc.constant(`${spec.index}`),
    time: odd ? numberText(smallInt).map((n) => n.text) : fc.nat(10 ** 12).map(String),
    process: odd
      ? fc.oneof(
          numberText(fc.constant(spec.process)).map((n) => n.text),
          stringField,
        )
      : fc.constant(String(spec.process)),
    type: odd ? fc.oneof(fc.constant(`"${spec.type}"`), stringField) : fc.constant(`"${spec.type}"`),
    f: odd ? fc.oneof(fc.constant(`"${spec.f}"`), stringField) : fc.constant(`"${spec.f}"`),
    key: fc.option(odd ? fc.oneof(fc.constant('"k1"'), stringField, anyValue) : fc.constant('"k1"')),
    value: fc.option(odd ? anyValue : fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v))),
    error: fc.option(odd ? fc.oneof(stringField, anyValue) : fc.constant('"timeout"')),
    node: fc.option(odd ? stringField : fc.constant('"n1"')),
  });
  const extras = odd
    ? fc.array(fc.tuple(fc.oneof(stringField, fc.constantFrom('"index"', '"f"', '"\\u0066"')), anyValue), {
        maxLength: 2,
      })
    : fc.constant([]);
  return fc
    .tuple(
      fields,
      extras,
      fc.nat(),
      odd ? fc.array(ws, { minLength: 4, maxLength: 4 }) : fc.constant(['', '', '', '']),
    )
    .map(([f, extra, seed, [a, b, c, d]]) => {
      const entries: Array<[string, string]> = Object.entries(f)
        .filter((e): e is [string, string] => e[1] !== null)
        .map(([k, v]) => [`"${k}"`, v]);
      entries.push(...extra);
      // A key order of the seed's choosing.
      for (let i = entries.length - 1; i > 0; i--) {
        const j = (seed + i * 7919) % (i + 1);
        [entries[i], entries[j]] = [entries[j]!, entries[i]!];
      }
      return `${a}{${b}${entries.map(([k, v]) => `${k}${c}:${c}${v}`).join(`${d},${b}`)}${d}}${a}`;
    });
}

/** Whole files: invoke/complete pairs of a few processes, some lines odd, some bytes broken. */
const file = (odd: boolean) =>
  fc
    .array(
      fc.record({
        process: fc.integer({ min: 0, max: 3 }),
        f: fc.constantFrom('read', 'write'),
        type: fc.constantFrom('ok', 'fail', 'info'),
      }),
      { minLength: 1, maxLength: 5 },
    )
    .chain((steps) => {
      const specs: LineSpec[] = [];
      for (const s of steps) {
        specs.push({ process: s.process, type: 'invoke', f: s.f, index: specs.length });
        specs.push({ process: s.process, type: s.type, f: s.f, index: specs.length });
      }
      return fc.tuple(
        // In an odd file, a line in three is odd (so that some files are still valid).
        fc.tuple(...specs.map((spec) => fc.nat(2).chain((n) => line(spec, odd && n === 0)))),
        fc.constantFrom('\n', '\n', '\r\n', '\n\n', '\n \n'),
        fc.boolean(),
        odd
          ? fc.option(fc.tuple(fc.nat(), fc.constantFrom(0x00, 0xff, 0xc3, 0x0b, 0x5c, 0x22)))
          : fc.constant(null),
      );
    })
    .map(([lines, sep, trailing, broken]) => fileBytes(lines, sep, trailing, broken));

const chunk = fc.constantFrom(64, 100, 1000, 4 * 2 ** 20);

describe('JSONL byte reader', () => {
  it('gives what the text path gives on random lines, valid and invalid', () => {
    let accepted = 0;
    let valid = 0;
    fc.assert(
      fc.property(file(true), chunk, (bytes, chunkBytes) => {
        const expected = textPath(bytes);
        expect(bytePath(bytes, chunkBytes)).toEqual(expected);
        if ('ops' in expected) valid++;
        if (readJsonlBytes(bytes, { chunkBytes }) !== undefined) accepted++;
      }),
      { numRuns: 1000 },
    );
    // The comparison covers both outcomes, and the byte reader's own parsing, not just its fallback.
    expect(valid).toBeGreaterThan(10);
    expect(accepted).toBeGreaterThan(10);
  });

  it('reads lines in the writer’s shape itself, exactly as the schema path and JSON.parse path', () => {
    fc.assert(
      fc.property(file(false), chunk, (bytes, chunkBytes) => {
        const text = bytes.toString('utf8');
        const checked = outcome(() => parseJsonlChecked(text, 'h.jsonl'));
        const fast = readJsonlBytes(bytes, { chunkBytes });
        if ('error' in checked) expect(fast).toBeUndefined();
        // A value holding a "__proto__" key is the one writer-made shape both fast paths leave
        // to the schema path (assignment would set a prototype): giving up there is the contract.
        else if (fast === undefined) expect(text).toContain('"__proto__"');
        else {
          expect(outcome(() => fast)).toEqual(checked);
          // The JSON.parse path leaves blank lines of spaces to the schema path.
          const viaParse = parseJsonlFast(text);
          if (viaParse) expect(outcome(() => viaParse)).toEqual(checked);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('reads a generated run history across chunk edges, interning repeated strings', () => {
    const text = toJsonlText(generateFaultyHistory({ ops: 2000, keys: 5, processes: 6 }));
    const expected = outcome(() => parseJsonlChecked(text, 'h.jsonl'));
    for (const chunkBytes of [64, 777, 2 ** 16]) {
      const h = readJsonlBytes(Buffer.from(text), { chunkBytes })!;
      expect(outcome(() => h)).toEqual(expected);
    }
    const h = readJsonlBytes(Buffer.from(text))!;
    expect(h.ops.filter((op) => op.f === 'read').length).toBeGreaterThan(100);
  });

  it('keeps -0, big and exponent numbers as JSON.parse reads them', () => {
    const values: Value[] = [];
    const lines = ['-0', '1E2', '0.1e1', '12345678901234567890', '-1.5e-7', '1.0'].map((v, i) => {
      values.push(JSON.parse(v) as Value);
      return `{"index":${i},"time":0,"process":"nemesis","type":"info","f":"x","value":${v}}`;
    });
    const h = readJsonlBytes(Buffer.from(lines.join('\n')))!;
    h.ops.forEach((op, i) => {
      expect(Object.is(op.value, values[i])).toBe(true);
    });
  });

  it('gives up on what it must not accept: NUL, bad UTF-8, a line over the byte limit', () => {
    const ok = '{"index":0,"time":0,"process":0,"type":"invoke","f":"read","value":null}';
    expect(readJsonlBytes(Buffer.from(`${ok}\n`))).toBeDefined();
    expect(readJsonlBytes(Buffer.from(`${ok}\n\u0000\n`))).toBeUndefined();
    expect(readJsonlBytes(Buffer.concat([Buffer.from(`${ok}\n`), Buffer.from([0xff])]))).toBeUndefined();
    expect(readJsonlBytes(Buffer.from(`${ok}\n`), { maxBytes: 10, chunkBytes: 64 })).toBeUndefined();
  });
});
