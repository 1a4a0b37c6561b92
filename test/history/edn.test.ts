import { describe, expect, it } from 'vitest';
import { parseEdn, toEdn } from '../../src/history/edn.js';
import { ParseError } from '../../src/history/errors.js';

const one = (text: string) => parseEdn(text)[0]!.value;

describe('EDN reader', () => {
  it('reads scalars', () => {
    expect(parseEdn('nil true false 42 -7 1.5 2e3 10N 1.25M 1/4').map((f) => f.value)).toEqual([
      null,
      true,
      false,
      42,
      -7,
      1.5,
      2000,
      10,
      1.25,
      0.25,
    ]);
  });

  it('maps keywords and symbols to names, collections to arrays and objects', () => {
    expect(one('{:process 7, :type :invoke, :f :cas, :value [1 2]}')).toEqual({
      process: 7,
      type: 'invoke',
      f: 'cas',
      value: [1, 2],
    });
    expect(one('(:a b #{1} [])')).toEqual(['a', 'b', [1], []]);
    expect(one('{"n1" ["n3"], 1 2}')).toEqual({ n1: ['n3'], '1': 2 });
  });

  it('reads strings with escapes and characters', () => {
    expect(one('"a\\"b\\n\\u0041"')).toBe('a"b\nA');
    expect(parseEdn('\\a \\newline \\u0042 \\(').map((f) => f.value)).toEqual(['a', '\n', 'B', '(']);
  });

  it('skips comments, commas, discards, and unwraps tagged literals', () => {
    expect(one('; a comment\n[1, #_ 2 3 ; more\n]')).toEqual([1, 3]);
    expect(one('#jepsen.history.Op{:index 0 :f :read}')).toEqual({ index: 0, f: 'read' });
    expect(one('#inst "2020-01-01"')).toBe('2020-01-01');
  });

  it('records the line of every form and of a top-level vector element', () => {
    const forms = parseEdn('{:a 1}\n\n{:b\n 2}');
    expect(forms.map((f) => f.line)).toEqual([1, 3]);
    expect(parseEdn('[{:a 1}\n {:a 2}\n\n {:a 3}]')[0]!.elementLines).toEqual([1, 2, 4]);
  });

  it.each([
    ['[1 2', 1, "unclosed '['"],
    ['{:a}', 1, 'map has a key without a value'],
    ['\n\n"abc', 3, 'unterminated string'],
    ['\n)', 2, "unexpected ')'"],
    ['12abc', 1, "bad number '12abc'"],
    ['"\\q"', 1, 'bad escape'],
    ['[[[['.repeat(200), 1, 'nested deeper'],
  ])('rejects %j on line %i', (text, line, reason) => {
    expect(() => parseEdn(text)).toThrow(ParseError);
    try {
      parseEdn(text);
    } catch (e) {
      expect((e as ParseError).line).toBe(line);
      expect((e as ParseError).reason).toContain(reason);
    }
  });

  it('keeps "__proto__" keys as plain data', () => {
    const value = one('{"__proto__" [1]}') as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });

  it('writes what it reads', () => {
    const value = { a: [1, 'x', null, true], 'b c': { d: -2.5 } };
    expect(one(toEdn(value))).toEqual(value);
  });
});
