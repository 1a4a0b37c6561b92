/**
 * The JSONL read path for whole files: the file is read in chunks, lines are found on bytes,
 * and each line is parsed from its bytes straight into an `Op`, with no string of the file and
 * no string per line. Short strings (f, type, key, node) are interned, so a history of 10^6
 * operations holds each distinct one once.
 *
 * It accepts or gives up, never explains: a line outside the common shape (non-ASCII bytes, a
 * key spelt with escapes, deep values, `__proto__`…) is decoded and read by JSON.parse, checked
 * as the JSON.parse fast path checks it (`eventFromJson`); anything that path refuses, a NUL or
 * an undecodable byte anywhere, or a broken pairing rule makes the caller read the whole file
 * the old way, whose checked path names the line and the defect. So it only ever returns what
 * the checked path would (test/history/jsonl-stream.test.ts compares them on random lines).
 */
import { setSourceLines } from './build.js';
import { eventFromJson, Pairing } from './jsonl.js';
import {
  asciiWord,
  bytesReader,
  FNV_BASIS,
  fnv,
  GIVE_UP,
  type Interner,
  intern,
  interner,
  type LineResult,
  latin1,
  type ReadBytes,
  readLines,
  SKIP,
  type StreamOptions,
} from './line-stream.js';
import type { History, Op, OpType, Value } from './op.js';

export type { ReadBytes, StreamOptions } from './line-stream.js';

/** Thrown (never an Error: no stack to capture) when a line leaves the common shape. */
const ODD = { odd: true };
/** Values nested deeper go to the JSON.parse path (which allows up to 64). */
const MAX_DEPTH = 32;

const NEWLINE = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d;
const isDigit = (c: number) => c >= ZERO && c <= NINE;

/*
 * The parser runs over one line of a buffer whose byte at the line's end is always a newline
 * (the file's own, or one written after the last line). No rule accepts a newline, so every
 * scan stops there without comparing positions to the end. Each function takes the position
 * to start at and leaves where it stopped in `at`.
 */
let at = 0;

function skipSpace(b: Uint8Array, p: number): number {
  while (isSpace(b[p]!)) p++;
  return p;
}

/** Field ids, one bit each: a repeated field is left to JSON.parse (the last one wins there). */
const INDEX = 1;
const TIME = 2;
const PROCESS = 4;
const TYPE = 8;
const F = 16;
const KEY = 32;
const VALUE = 64;
const ERROR = 128;
const NODE = 256;
const REQUIRED = INDEX | TIME | PROCESS | TYPE | F;

/** A field found: its value starts at `next`. */
function found(next: number, id: number): number {
  at = next;
  return id;
}

/** A key as the writer spells it, quotes and colon included, as little-endian 32-bit words. */
interface KeyPattern {
  id: number;
  length: number;
  /** Bytes 0–3, `length-4`–`length-1`, and 4–7 (which the first two miss only past 8 bytes). */
  head: number;
  tail: number;
  middle: number;
}

function pattern(id: number, name: string): KeyPattern {
  const text = `"${name}":`;
  const word = (i: number) => asciiWord(text, i);
  return { id, length: text.length, head: word(0), tail: word(text.length - 4), middle: word(4) };
}

const K_INDEX = pattern(INDEX, 'index');
const K_TIME = pattern(TIME, 'time');
const K_TYPE = pattern(TYPE, 'type');
const K_PROCESS = pattern(PROCESS, 'process');
const K_F = pattern(F, 'f');
const K_KEY = pattern(KEY, 'key');
const K_VALUE = pattern(VALUE, 'value');
const K_ERROR = pattern(ERROR, 'error');
const K_NODE = pattern(NODE, 'node');

/** The buffer being parsed, for reading four bytes at once (16 bytes of room kept after the data). */
let view: DataView = new DataView(new ArrayBuffer(16));

/** Told of each buffer the line loop reads into. */
const setView = (buf: Buffer): void => {
  view = new DataView(buf.buffer, buf.byteOffset, buf.length);
};

function is(k: KeyPattern, p: number): boolean {
  return (
    view.getUint32(p, true) === k.head &&
    view.getUint32(p + k.length - 4, true) === k.tail &&
    (k.length <= 8 || view.getUint32(p + 4, true) === k.middle)
  );
}

/**
 * The field id of the key starting at `p` (its opening quote), 0 for none of ours; `at` after
 * its colon. A key spelt as the writer spells it is matched, quotes and colon included, by two
 * or three word comparisons; any other spelling is scanned.
 */
function field(b: Uint8Array, p: number): number {
  switch (b[p + 1]) {
    case 0x69: // i
      if (is(K_INDEX, p)) return found(p + 8, INDEX);
      break;
    case 0x74: // t
      if (is(K_TIME, p)) return found(p + 7, TIME);
      if (is(K_TYPE, p)) return found(p + 7, TYPE);
      break;
    case 0x70: // p
      if (is(K_PROCESS, p)) return found(p + 10, PROCESS);
      break;
    case 0x66: // f
      if (is(K_F, p)) return found(p + 4, F);
      break;
    case 0x6b: // k
      if (is(K_KEY, p)) return found(p + 6, KEY);
      break;
    case 0x76: // v
      if (is(K_VALUE, p)) return found(p + 8, VALUE);
      break;
    case 0x65: // e
      if (is(K_ERROR, p)) return found(p + 8, ERROR);
      break;
    case 0x6e: // n
      if (is(K_NODE, p)) return found(p + 7, NODE);
      break;
  }
  return spacedField(b, p);
}

/** A key followed by whitespace before its colon: the same ids, scanned. */
function spacedField(b: Uint8Array, p: number): number {
  const start = p + 1;
  let q = start;
  for (let c = b[q]!; c !== QUOTE; c = b[++q]!) if (c === BACKSLASH || c < 0x20 || c >= 0x80) throw ODD;
  const colon = skipSpace(b, q + 1);
  if (b[colon] !== COLON) throw ODD;
  const name = latin1(b, start, q);
  at = colon + 1;
  return Object.hasOwn(FIELD_IDS, name) ? FIELD_IDS[name]! : 0;
}

const FIELD_IDS: Record<string, number> = {
  index: INDEX,
  time: TIME,
  process: PROCESS,
  type: TYPE,
  f: F,
  key: KEY,
  value: VALUE,
  error: ERROR,
  node: NODE,
};

const NULL = 0x6c6c756e; // "null" as a little-endian word
const TRUE = 0x65757274;
const FALS = 0x736c6166;

function value(b: Uint8Array, p: number, depth: number): Value {
  p = skipSpace(b, p);
  const c = b[p]!;
  if (c === QUOTE) return string(b, p);
  if (c === MINUS || isDigit(c)) return number(b, p);
  if (c === OPEN_BRACKET) return array(b, p, depth + 1);
  if (c === OPEN_BRACE) return object(b, p, depth + 1);
  const word = view.getUint32(p, true);
  if (word === NULL) {
    at = p + 4;
    return null;
  }
  if (word === TRUE) {
    at = p + 4;
    return true;
  }
  if (word === FALS && b[p + 4] === 0x65) {
    at = p + 5;
    return false;
  }
  throw ODD;
}

const W_OK = asciiWord('"ok"');
const W_INF = asciiWord('"inf');
const W_FAI = asciiWord('"fai');
const W_INV = asciiWord('"inv');
const W_OKE = asciiWord('oke"');

/** The type field's value: the four types as the writer spells them by word, else any value. */
function typeValue(b: Uint8Array, p: number): Value {
  const w = view.getUint32(p, true);
  if (w === W_OK) {
    at = p + 4;
    return 'ok';
  }
  if (w === W_INV && view.getUint32(p + 4, true) === W_OKE) {
    at = p + 8;
    return 'invoke';
  }
  if (b[p + 5] === QUOTE) {
    if (w === W_INF && b[p + 4] === 0x6f) {
      at = p + 6;
      return 'info';
    }
    if (w === W_FAI && b[p + 4] === 0x6c) {
      at = p + 6;
      return 'fail';
    }
  }
  return value(b, p, 0);
}

/** Short strings (key, node, values) read before. */
const interned = interner();
/**
 * Operation names (f), apart, and internalized as property names are: the models compare
 * them with literals ('read', 'cas'), which is then by identity. Not every string: making
 * one a property name costs an object, too much for a history of distinct string values.
 */
const names = interner(true);

/** A JSON string of printable ASCII at `p`; one with escapes is handed to JSON.parse whole. */
function string(b: Uint8Array, p: number, table: Interner = interned): string {
  const start = p + 1;
  let q = start;
  let hash = FNV_BASIS;
  let escaped = false;
  for (let c = b[q]!; c !== QUOTE; c = b[++q]!) {
    if (c < 0x20 || c >= 0x80) throw ODD;
    if (c === BACKSLASH) {
      escaped = true;
      if (b[++q] === NEWLINE) throw ODD; // the escaped character, checked by JSON.parse below
    }
    hash = fnv(hash, c);
  }
  at = q + 1;
  if (escaped) {
    try {
      return JSON.parse(latin1(b, start - 1, q + 1)) as string;
    } catch {
      throw ODD;
    }
  }
  return intern(table, b, start, q, hash);
}

/** A JSON number at `p`, strictly by its grammar; integers of up to 15 digits without a string. */
function number(b: Uint8Array, p: number): number {
  const start = p;
  const negative = b[p] === MINUS;
  if (negative) p++;
  const digits = p;
  let n = 0;
  if (b[p] === ZERO) p++;
  else if (isDigit(b[p]!)) for (let c = b[p]!; isDigit(c); c = b[++p]!) n = n * 10 + (c - ZERO);
  else throw ODD;
  let plain = p - digits <= 15;
  if (b[p] === DOT) {
    plain = false;
    if (!isDigit(b[++p]!)) throw ODD;
    while (isDigit(b[p]!)) p++;
  }
  if (b[p] === 0x65 || b[p] === 0x45) {
    plain = false;
    p++;
    if (b[p] === 0x2b || b[p] === MINUS) p++;
    if (!isDigit(b[p]!)) throw ODD;
    while (isDigit(b[p]!)) p++;
  }
  at = p;
  if (plain) return negative ? -n : n;
  // The digits are the exact text JSON.parse would convert, and Number converts the same way.
  const x = Number(latin1(b, start, p));
  if (!Number.isFinite(x)) throw ODD;
  return x;
}

/** The end of an array element at `at`: true at `]`, false at `,`; `at` after it. */
function elementEnd(b: Uint8Array): boolean {
  const p = skipSpace(b, at);
  at = p + 1;
  if (b[p] === CLOSE_BRACKET) return true;
  if (b[p] !== COMMA) throw ODD;
  return false;
}

/**
 * Short arrays (a cas's [expected, new]) are made at their length: an array grown by push
 * holds room for 17 elements, five times the memory of a pair.
 */
function array(b: Uint8Array, p: number, depth: number): Value[] {
  if (depth > MAX_DEPTH) throw ODD;
  p = skipSpace(b, p + 1);
  if (b[p] === CLOSE_BRACKET) {
    at = p + 1;
    return [];
  }
  const x = value(b, p, depth);
  if (elementEnd(b)) return [x];
  const y = value(b, at, depth);
  if (elementEnd(b)) return [x, y];
  const out: Value[] = [x, y];
  do out.push(value(b, at, depth));
  while (!elementEnd(b));
  return out;
}

function object(b: Uint8Array, p: number, depth: number): { [field: string]: Value } {
  if (depth > MAX_DEPTH) throw ODD;
  const out: { [field: string]: Value } = {};
  p = skipSpace(b, p + 1);
  if (b[p] === CLOSE_BRACE) {
    at = p + 1;
    return out;
  }
  for (;;) {
    p = skipSpace(b, p);
    if (b[p] !== QUOTE) throw ODD;
    const k = string(b, p);
    // Assignment would set the prototype: JSON.parse's own property is the other path's job.
    if (k === '__proto__') throw ODD;
    p = skipSpace(b, at);
    if (b[p] !== COLON) throw ODD;
    out[k] = value(b, p + 1, depth);
    p = skipSpace(b, at);
    const c = b[p++];
    if (c === CLOSE_BRACE) break;
    if (c !== COMMA) throw ODD;
  }
  at = p;
  return out;
}

/** The event of the line from `p` to its newline at `end`, as the schema and fast path accept it. */
function event(b: Uint8Array, p: number, end: number, index: number): Op {
  p = skipSpace(b, p);
  if (b[p] !== OPEN_BRACE) throw ODD;
  let seen = 0;
  let time: Value = null;
  let process: Value = null;
  let type: Value = null;
  let f: Value = null;
  let key: Value | undefined;
  let v: Value = null;
  let error: Value | undefined;
  let node: Value | undefined;
  for (;;) {
    p = skipSpace(b, p + 1);
    if (b[p] !== QUOTE) throw ODD;
    const id = field(b, p);
    if (id === 0 || (seen & id) !== 0) throw ODD;
    seen |= id;
    const x =
      id === TYPE ? typeValue(b, at) : id === F && b[at] === QUOTE ? string(b, at, names) : value(b, at, 0);
    if (id === INDEX) {
      if (x !== index) throw ODD;
    } else if (id === TIME) time = x;
    else if (id === PROCESS) process = x;
    else if (id === TYPE) type = x;
    else if (id === F) f = x;
    else if (id === KEY) key = x;
    else if (id === VALUE) v = x;
    else if (id === ERROR) error = x;
    else node = x;
    p = skipSpace(b, at);
    if (b[p] === CLOSE_BRACE) break;
    if (b[p] !== COMMA) throw ODD;
  }
  if (skipSpace(b, p + 1) !== end || (seen & REQUIRED) !== REQUIRED) throw ODD;
  return makeOp(index, time, process, type, f, key, v, error, node);
}

const isType = (t: Value): t is OpType => t === 'invoke' || t === 'ok' || t === 'fail' || t === 'info';

/** The op, fields in buildHistory's order, when every field has the schema's type. */
function makeOp(
  index: number,
  time: Value,
  process: Value,
  type: Value,
  f: Value,
  key: Value | undefined,
  value: Value,
  error: Value | undefined,
  node: Value | undefined,
): Op {
  if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0) throw ODD;
  if (process !== 'nemesis' && (typeof process !== 'number' || !Number.isSafeInteger(process) || process < 0))
    throw ODD;
  if (!isType(type) || typeof f !== 'string' || f === '') throw ODD;
  // The usual shapes as whole literals: a field added later would cost each op a second object.
  if (error === undefined && (key === undefined || typeof key === 'string' || typeof key === 'number')) {
    if (node === undefined)
      return key === undefined
        ? { index, time, process, type, f, value }
        : { index, time, process, type, f, value, key };
    if (typeof node !== 'string') throw ODD;
    return key === undefined
      ? { index, time, process, type, f, value, node }
      : { index, time, process, type, f, value, key, node };
  }
  const op: Op = { index, time, process, type, f, value };
  if (key !== undefined) {
    if (typeof key !== 'string' && typeof key !== 'number') throw ODD;
    op.key = key;
  }
  if (error !== undefined) {
    if (typeof error !== 'string') throw ODD;
    op.error = error;
  }
  if (node !== undefined) {
    if (typeof node !== 'string') throw ODD;
    op.node = node;
  }
  return op;
}

/** True when [start, end) holds only JSON whitespace (a blank line: skipped, still counted). */
function blank(b: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!isSpace(b[i]!)) return false;
  return true;
}

/** The line's op read through JSON.parse, for lines outside the byte parser's common shape. */
function oddLine(b: Buffer, start: number, end: number, index: number): LineResult {
  const text = b.toString('utf8', start, end);
  // NUL or an undecodable byte: the whole-file path names it as binary data.
  if (text.includes('\u0000') || text.includes('\uFFFD')) return GIVE_UP;
  const line = text.trim();
  if (line === '') return SKIP;
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return GIVE_UP;
  }
  return eventFromJson(json, index) ?? GIVE_UP;
}

/** One line: the byte parser, else blank, else JSON.parse. */
function jsonlLine(buf: Buffer, start: number, end: number, index: number): LineResult {
  try {
    return event(buf, start, end, index);
  } catch (e) {
    if (e !== ODD) throw e;
    return blank(buf, start, end) ? SKIP : oddLine(buf, start, end, index);
  }
}

/**
 * Reads a whole JSONL input through `read`. Undefined when the fast path gives up (see the
 * file's comment): the caller then reads the file through `parseHistoryBytes`.
 */
export function readJsonlStream(read: ReadBytes, options: StreamOptions = {}): History | undefined {
  const pairing = new Pairing();
  const read_ = readLines(
    read,
    {
      line: jsonlLine,
      buffer: setView,
      accept: (op) => pairing.accept(op),
    },
    options,
  );
  if (read_ === undefined) return undefined;
  const history: History = { ops: read_.ops, realTime: true };
  setSourceLines(history, read_.lines);
  return history;
}

/**
 * Reads a JSONL input as readJsonlStream does (the same checks, the same giving up), handing
 * each event to `take` in order instead of keeping it; `take` returns false to give up. The
 * count of events, or undefined when it gave up. `pairing`: the pairing rules' keeper (a reader
 * of part of a file has its own, see calls-range.ts).
 */
export function scanJsonlStream(
  read: ReadBytes,
  take: (op: Op) => boolean,
  options: StreamOptions = {},
  pairing: Pick<Pairing, 'accept'> = new Pairing(),
): number | undefined {
  const read_ = readLines(
    read,
    {
      line: jsonlLine,
      buffer: setView,
      accept: (op) => pairing.accept(op) && take(op),
    },
    { ...options, keep: false },
  );
  return read_?.events;
}

/**
 * scanJsonlStream for the later part of a file, read from a line's start: the events are
 * numbered from the index its first event names (the caller checks that the earlier part had
 * exactly that many), and `accept` keeps the pairing rules (whose state at the part's start
 * only the earlier part knows). The count of events and that first index, or undefined.
 */
export function scanJsonlPart(
  read: ReadBytes,
  accept: (op: Op) => boolean,
  options: StreamOptions = {},
): { events: number; firstIndex: number } | undefined {
  let base = -1;
  const read_ = readLines(
    read,
    {
      line: (buf, start, end, index) => {
        if (base < 0) {
          const text = buf.toString('utf8', start, end).trim();
          if (text === '') return SKIP;
          try {
            const first = (JSON.parse(text) as { index?: unknown }).index;
            if (typeof first !== 'number' || !Number.isSafeInteger(first) || first < 0) return GIVE_UP;
            base = first;
          } catch {
            return GIVE_UP;
          }
        }
        return jsonlLine(buf, start, end, base + index);
      },
      buffer: setView,
      accept,
    },
    { ...options, keep: false },
  );
  return read_ === undefined ? undefined : { events: read_.events, firstIndex: Math.max(0, base) };
}

/** The stream reader over bytes in memory (tests; chunkBytes small to cross chunk edges). */
export function readJsonlBytes(bytes: Uint8Array, options: StreamOptions = {}): History | undefined {
  return readJsonlStream(bytesReader(bytes), options);
}
