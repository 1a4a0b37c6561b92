/**
 * A small EDN reader for Jepsen and Knossos histories. We write our own rather than use an
 * npm EDN parser because error messages and validation must name the line of each operation
 * map, which no maintained parser reports.
 *
 * Mapping to plain data: nil → null, keywords and symbols → their name as a string (":ok" →
 * "ok"), vectors, lists and sets → arrays, maps → objects (keys stringified), tagged literals
 * (#inst, #jepsen.history.Op{...}) → the tagged value, characters → one-char strings.
 */
import { ParseError } from './errors.js';
import type { Value } from './op.js';

export interface EdnForm {
  value: Value;
  /** 1-based line where the form starts. */
  line: number;
  /** For a top-level vector or list: the start line of each element. */
  elementLines?: number[];
}

const DELIMITERS = new Set([' ', '\t', '\n', '\r', ',', '(', ')', '[', ']', '{', '}', '"', ';', '\f']);
/** DELIMITERS by character code (all ASCII): a token scan reads codes, not one-character strings. */
const DELIMITER_CODES = new Uint8Array(128);
for (const d of DELIMITERS) DELIMITER_CODES[d.charCodeAt(0)] = 1;
const CHAR_NAMES: Record<string, string> = {
  newline: '\n',
  space: ' ',
  tab: '\t',
  return: '\r',
  formfeed: '\f',
  backspace: '\b',
};
const STRING_ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '"': '"',
  '\\': '\\',
  b: '\b',
  f: '\f',
};
/** Deeper nesting than any history needs; bounded so junk input cannot overflow the stack. */
const MAX_DEPTH = 500;
const NUMBER = /^[+-]?(\d+)(\.\d*)?([eE][+-]?\d+)?[NM]?$/;
const RATIO = /^[+-]?\d+\/\d+$/;

class Reader {
  pos = 0;
  line = 1;
  depth = 0;
  constructor(private readonly text: string) {}

  fail(reason: string, line = this.line): never {
    throw new ParseError(line, reason);
  }

  /** Skips whitespace, commas, comments and #_ discards; returns false at end of input. */
  skipSpace(): boolean {
    const text = this.text;
    while (this.pos < text.length) {
      const c = text[this.pos]!;
      if (c === '\n') {
        this.line++;
        this.pos++;
      } else if (c === ' ' || c === '\t' || c === '\r' || c === ',' || c === '\f') {
        this.pos++;
      } else if (c === ';') {
        while (this.pos < text.length && text[this.pos] !== '\n') this.pos++;
      } else if (c === '#' && text[this.pos + 1] === '_') {
        // `#_ #_ a b` nests: each pending discard counts as a level, so a long chain of them is
        // refused like deep nesting instead of overflowing the stack.
        this.pos += 2;
        if (this.depth >= MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH} levels (#_ discards)`);
        this.depth++;
        try {
          if (!this.skipSpace()) this.fail('#_ discard at end of input');
          this.readForm();
        } finally {
          this.depth--;
        }
      } else {
        return true;
      }
    }
    return false;
  }

  readForm(elementLines?: number[]): Value {
    if (!this.skipSpace()) this.fail('unexpected end of input');
    if (this.depth >= MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH} levels`);
    this.depth++;
    try {
      return this.readFormAt(elementLines);
    } finally {
      this.depth--;
    }
  }

  private readFormAt(elementLines?: number[]): Value {
    const text = this.text;
    const c = text[this.pos]!;
    switch (c) {
      case '[':
      case '(':
        this.pos++;
        return this.readSeq(c === '[' ? ']' : ')', elementLines);
      case '{':
        this.pos++;
        return this.readMap();
      case '"':
        this.pos++;
        return this.readString();
      case '\\':
        return this.readChar();
      case '#':
        return this.readDispatch();
      case ']':
      case ')':
      case '}':
        return this.fail(`unexpected '${c}'`);
      default:
        return this.readAtom();
    }
  }

  private readSeq(close: string, elementLines?: number[]): Value[] {
    const out: Value[] = [];
    const startLine = this.line;
    for (;;) {
      if (!this.skipSpace()) this.fail(`unclosed '${close === ']' ? '[' : '('}' opened on line ${startLine}`);
      if (this.text[this.pos] === close) {
        this.pos++;
        return out;
      }
      elementLines?.push(this.line);
      out.push(this.readForm());
    }
  }

  private readMap(): { [k: string]: Value } {
    const out: { [k: string]: Value } = {};
    const startLine = this.line;
    for (;;) {
      if (!this.skipSpace()) this.fail(`unclosed '{' opened on line ${startLine}`);
      if (this.text[this.pos] === '}') {
        this.pos++;
        return out;
      }
      const key = this.readForm();
      if (!this.skipSpace() || this.text[this.pos] === '}') this.fail('map has a key without a value');
      const value = this.readForm();
      const name = typeof key === 'string' ? key : JSON.stringify(key);
      // defineProperty, not assignment, for "__proto__": it must stay plain data. Any other key
      // is assigned (the same own property, without defineProperty's cost per key).
      if (name === '__proto__')
        Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
      else out[name] = value;
    }
  }

  private readString(): string {
    const text = this.text;
    const startLine = this.line;
    let out = '';
    let chunkStart = this.pos;
    while (this.pos < text.length) {
      const c = text[this.pos]!;
      if (c === '"') {
        out += text.slice(chunkStart, this.pos);
        this.pos++;
        return out;
      }
      if (c === '\n') this.line++;
      if (c === '\\') {
        out += text.slice(chunkStart, this.pos);
        const e = text[this.pos + 1];
        if (e === 'u') {
          const hex = text.slice(this.pos + 2, this.pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail(`bad unicode escape \\u${hex}`);
          out += String.fromCharCode(Number.parseInt(hex, 16));
          this.pos += 6;
        } else {
          const mapped = e === undefined || !Object.hasOwn(STRING_ESCAPES, e) ? undefined : STRING_ESCAPES[e];
          if (mapped === undefined) this.fail(`bad escape \\${e ?? ''} in string`);
          out += mapped;
          this.pos += 2;
        }
        chunkStart = this.pos;
        continue;
      }
      this.pos++;
    }
    return this.fail(`unterminated string starting on line ${startLine}`);
  }

  private readToken(): string {
    const text = this.text;
    const start = this.pos;
    let pos = this.pos;
    for (; pos < text.length; pos++) {
      const c = text.charCodeAt(pos);
      if (c < 128 && DELIMITER_CODES[c] === 1) break;
    }
    this.pos = pos;
    return text.slice(start, this.pos);
  }

  private readChar(): string {
    this.pos++; // the backslash
    const first = this.text[this.pos];
    if (first === undefined) this.fail('character literal at end of input');
    // A delimiter right after the backslash is itself the character (e.g. \( or \space's first letter).
    if (DELIMITERS.has(first)) {
      this.pos++;
      return first;
    }
    const token = this.readToken();
    if (token.length === 1) return token;
    // Own names only: `\constructor` is no character.
    const named = Object.hasOwn(CHAR_NAMES, token) ? CHAR_NAMES[token] : undefined;
    if (named !== undefined) return named;
    if (/^u[0-9a-fA-F]{4}$/.test(token)) return String.fromCharCode(Number.parseInt(token.slice(1), 16));
    return this.fail(`unknown character literal \\${token}`);
  }

  private readDispatch(): Value {
    const next = this.text[this.pos + 1];
    if (next === '{') {
      this.pos += 2;
      return this.readSeq('}');
    }
    if (next === undefined || DELIMITERS.has(next)) this.fail("bad '#' dispatch");
    this.pos++;
    this.readToken(); // the tag, e.g. inst or jepsen.history.Op
    return this.readForm();
  }

  private readAtom(): Value {
    const line = this.line;
    const token = this.readToken();
    if (token === '') this.fail(`unexpected character '${this.text[this.pos]}'`, line);
    if (token === 'nil') return null;
    if (token === 'true') return true;
    if (token === 'false') return false;
    if (token[0] === ':') {
      if (token.length === 1 || token === '::') this.fail('empty keyword', line);
      return token.startsWith('::') ? token.slice(2) : token.slice(1);
    }
    const c = token[0]!;
    const numeric = (c >= '0' && c <= '9') || ((c === '-' || c === '+') && /[0-9]/.test(token[1] ?? ''));
    if (numeric) {
      let n: number | undefined;
      if (NUMBER.test(token)) {
        const last = token.charCodeAt(token.length - 1);
        n = Number(last === 0x4e || last === 0x4d ? token.slice(0, -1) : token); // 1N, 1.5M
      } else if (RATIO.test(token)) {
        const [num, den] = token.split('/');
        n = Number(num) / Number(den);
      }
      if (n === undefined) return this.fail(`bad number '${token}'`, line);
      // Infinity and NaN are no JSON values: they would not survive export or comparison.
      if (!Number.isFinite(n)) return this.fail(`number '${token}' is out of range`, line);
      return n;
    }
    return token; // a symbol
  }
}

/** Reads every top-level form of an EDN text. Throws ParseError naming the line. */
export function parseEdn(text: string): EdnForm[] {
  const reader = new Reader(text);
  const forms: EdnForm[] = [];
  while (reader.skipSpace()) {
    const line = reader.line;
    const opener = text[reader.pos];
    const elementLines: number[] | undefined = opener === '[' || opener === '(' ? [] : undefined;
    const value = reader.readForm(elementLines);
    forms.push(elementLines ? { value, line, elementLines } : { value, line });
  }
  return forms;
}

const KEYWORD_NAME = /^[A-Za-z*+!_?<>=][\w*+!?<>=.\-/]*$/;

/** Writes plain data as EDN; strings that look like keyword names stay strings. */
export function toEdn(value: Value): string {
  if (value === null) return 'nil';
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(toEdn).join(' ')}]`;
  return `{${Object.entries(value)
    .map(([k, v]) => `${JSON.stringify(k)} ${toEdn(v)}`)
    .join(', ')}}`;
}

/** A keyword for names that can be one, else a string. */
export function keywordOrString(name: string): string {
  return KEYWORD_NAME.test(name) ? `:${name}` : JSON.stringify(name);
}
