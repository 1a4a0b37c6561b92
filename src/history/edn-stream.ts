/**
 * The EDN read path for whole files written one operation map per line (Jepsen's history.edn,
 * faultline's own export): the file is read in chunks, lines are found on bytes, and each line
 * is parsed from its bytes straight into an `Op`, with no string of the file and no string per
 * line. Keywords and short strings are interned, so a history of 10^6 operations holds each
 * distinct `:f`, `:type`, key or node once.
 *
 * It accepts or gives up, never explains. A line outside the common shape (a string with
 * escapes, a tagged literal, a float, a symbol, a comment inside the map, non-ASCII bytes…) is
 * decoded and read by the generic EDN reader (edn.ts) and the importer's own `toEvent`; a line
 * that is not exactly one map (a Knossos vector, a form spanning lines), anything those refuse,
 * a NUL or an undecodable byte anywhere, or a broken pairing rule makes the caller read the
 * whole file the old way, whose checked path names the line and the defect. Independent
 * `[k v]` tuples are unwrapped by the importer's rules once every line is read. So it only
 * ever returns what parseJepsenEdn would (test/history/edn-stream.test.ts compares them).
 */
import { type RawEvent, setSourceLines } from './build.js';
import { parseEdn } from './edn.js';
import { MAX_VALUE_DEPTH, valueDepth } from './errors.js';
import { type EdnImportOptions, independentTuples, toEvent } from './import/jepsen-edn.js';
import { Pairing } from './jsonl.js';
import {
  asciiWord,
  bytesReader,
  FNV_BASIS,
  fnv,
  GIVE_UP,
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

export interface EdnStreamOptions extends EdnImportOptions, StreamOptions {}

/** Thrown (never an Error: no stack to capture) when a line leaves the common shape. */
const ODD = { odd: true };
/** Values nested deeper go to the generic reader. */
const MAX_DEPTH = 32;
/** An op's time while the line gave none: buildHistory's rule fills it in once all are read. */
const NO_TIME = -1;

const QUOTE = 0x22;
const COLON = 0x3a;
const SEMICOLON = 0x3b;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_PAREN = 0x28;
const CLOSE_PAREN = 0x29;

/**
 * What each byte is to the parser. The rest (0: controls, DEL, non-ASCII, and the newline that
 * ends every line) is accepted nowhere, so every scan stops there; the line then goes to the
 * generic reader, which knows what it is.
 */
const SPACE = 1;
const DELIMITER = 2;
const TOKEN = 3;
const CLASS = new Uint8Array(256);
for (let c = 0x21; c < 0x7f; c++) CLASS[c] = TOKEN;
for (const c of ' \t\r\f,') CLASS[c.charCodeAt(0)] = SPACE;
for (const c of '()[]{}";') CLASS[c.charCodeAt(0)] = DELIMITER;

const isDigit = (c: number) => c >= ZERO && c <= NINE;

/*
 * The parser runs over one line of a buffer whose byte at the line's end is always a newline
 * (the file's own, or one written after the last line). Each function takes the position to
 * start at and leaves where it stopped in `at`.
 */
let at = 0;

function skipSpace(b: Uint8Array, p: number): number {
  while (CLASS[b[p]!] === SPACE) p++;
  return p;
}

function tokenEnd(b: Uint8Array, p: number): number {
  while (CLASS[b[p]!] === TOKEN) p++;
  return p;
}

/** Short strings and keywords read before. */
const interned = interner();

/** A string of printable ASCII without escapes at `p` (its opening quote). */
function string(b: Uint8Array, p: number): string {
  const start = p + 1;
  let q = start;
  let hash = FNV_BASIS;
  for (let c = b[q]!; c !== QUOTE; c = b[++q]!) {
    if (c < 0x20 || c >= 0x7f || c === 0x5c) throw ODD;
    hash = fnv(hash, c);
  }
  at = q + 1;
  return intern(interned, b, start, q, hash);
}

/** The name of a keyword `:name` at `p`; `::name` and the empty keyword are the reader's. */
function keyword(b: Uint8Array, p: number): string {
  const start = p + 1;
  if (b[start] === COLON) throw ODD;
  let q = start;
  let hash = FNV_BASIS;
  for (let c = b[q]!; CLASS[c] === TOKEN; c = b[++q]!) hash = fnv(hash, c);
  if (q === start) throw ODD;
  at = q;
  return intern(interned, b, start, q, hash);
}

/** `nil`, `true`, `false` or an integer of up to 15 digits; any other atom is the reader's. */
function atom(b: Uint8Array, p: number): Value {
  const negative = b[p] === MINUS;
  let q = negative ? p + 1 : p;
  let c = b[q]!;
  if (isDigit(c)) {
    const digits = q;
    let n = 0;
    do {
      n = n * 10 + (c - ZERO);
      c = b[++q]!;
    } while (isDigit(c));
    if (CLASS[c] === TOKEN || q - digits > 15) throw ODD;
    at = q;
    return negative ? -n : n;
  }
  const end = tokenEnd(b, p);
  at = end;
  const len = end - p;
  if (len === 3 && b[p] === 0x6e && b[p + 1] === 0x69 && b[p + 2] === 0x6c) return null;
  if (len === 4 && latin1(b, p, end) === 'true') return true;
  if (len === 5 && latin1(b, p, end) === 'false') return false;
  throw ODD;
}

function value(b: Uint8Array, p: number, depth: number): Value {
  const c = b[p]!;
  if (c === COLON) return keyword(b, p);
  if (c === QUOTE) return string(b, p);
  if (c === OPEN_BRACKET) return seq(b, p, CLOSE_BRACKET, depth + 1);
  if (c === OPEN_PAREN) return seq(b, p, CLOSE_PAREN, depth + 1);
  if (c === OPEN_BRACE) return map(b, p, depth + 1);
  // A `#` dispatch or `\` character is an atom to atom(), which leaves it to the reader.
  if (CLASS[c] === TOKEN) return atom(b, p);
  throw ODD;
}

/** A vector or list at `p` (its opener): an array, as the reader makes both. */
function seq(b: Uint8Array, p: number, close: number, depth: number): Value[] {
  if (depth > MAX_DEPTH) throw ODD;
  // Items gather on a shared stack and leave it as an array of their exact size.
  const base = top;
  for (p = skipSpace(b, p + 1); b[p] !== close; p = skipSpace(b, at)) {
    const item = value(b, p, depth);
    items[top++] = item;
  }
  at = p + 1;
  const out = items.slice(base, top);
  top = base;
  return out;
}

/** The items of the vectors and lists being read, up to `top`; emptied at each line. */
const items: Value[] = [];
let top = 0;

/** A map with keyword keys at `p`; any other key (or `:__proto__`) is the reader's. */
function map(b: Uint8Array, p: number, depth: number): { [field: string]: Value } {
  if (depth > MAX_DEPTH) throw ODD;
  const out: { [field: string]: Value } = {};
  for (p = skipSpace(b, p + 1); b[p] !== CLOSE_BRACE; p = skipSpace(b, at)) {
    if (b[p] !== COLON) throw ODD;
    const k = keyword(b, p);
    if (k === '__proto__') throw ODD;
    out[k] = value(b, skipSpace(b, at), depth);
  }
  at = p + 1;
  return out;
}

/** Field ids. */
const TIME = 1;
const PROCESS = 2;
const TYPE = 4;
const F = 8;
const KEY = 16;
const VALUE = 32;
const ERROR = 64;
const NODE = 128;
const IGNORED = 0;

/** Four bytes at `p` as a little-endian word (every read stays before the line's end). */
const word = (b: Uint8Array, p: number) =>
  (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
const W_TIME = asciiWord('time');
const W_TYPE = asciiWord('type');
const W_NODE = asciiWord('node');
const W_PROC = asciiWord('proc');
const W_CESS = asciiWord('cess');
const W_VALU = asciiWord('valu');
const W_ERRO = asciiWord('erro');

/**
 * The field id of the keyword at `p` (its colon), matched on its bytes: no string is made for
 * it. `at` after it.
 */
function field(b: Uint8Array, p: number): number {
  const start = p + 1;
  const end = tokenEnd(b, start);
  const length = end - start;
  if (length === 0 || b[start] === COLON) throw ODD;
  at = end;
  switch (length) {
    case 1:
      return b[start] === 0x66 ? F : IGNORED;
    case 3:
      return b[start] === 0x6b && b[start + 1] === 0x65 && b[start + 2] === 0x79 ? KEY : IGNORED;
    case 4: {
      const w = word(b, start);
      return w === W_TIME ? TIME : w === W_TYPE ? TYPE : w === W_NODE ? NODE : IGNORED;
    }
    case 5: {
      const w = word(b, start);
      if (b[start + 4] === 0x65 && w === W_VALU) return VALUE;
      return b[start + 4] === 0x72 && w === W_ERRO ? ERROR : IGNORED;
    }
    case 7:
      return word(b, start) === W_PROC && word(b, start + 3) === W_CESS ? PROCESS : IGNORED;
    default:
      return IGNORED;
  }
}

/** A comment from `p` to the line's end at `end`, when it is printable ASCII: true. */
function comment(b: Uint8Array, p: number, end: number): boolean {
  for (p++; p < end; p++) {
    const c = b[p]!;
    if ((c < 0x20 || c >= 0x7f) && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

/** The op of the line [p, end): one map, then at most a comment. */
function event(b: Uint8Array, p: number, end: number, index: number): Op | typeof SKIP {
  top = 0;
  p = skipSpace(b, p);
  if (p === end || (b[p] === SEMICOLON && comment(b, p, end))) return SKIP;
  if (b[p] !== OPEN_BRACE) throw ODD;
  let time: Value | undefined;
  let process: Value | undefined;
  let type: Value | undefined;
  let f: Value | undefined;
  let key: Value | undefined;
  let v: Value | undefined;
  let error: Value | undefined;
  let node: Value | undefined;
  for (p = skipSpace(b, p + 1); b[p] !== CLOSE_BRACE; p = skipSpace(b, at)) {
    if (b[p] !== COLON) throw ODD;
    // A repeated field: the last one wins, as in the reader's map.
    const id = field(b, p);
    const x = value(b, skipSpace(b, at), 1);
    if (id === TIME) time = x;
    else if (id === PROCESS) process = x;
    else if (id === TYPE) type = x;
    else if (id === F) f = x;
    else if (id === KEY) key = x;
    else if (id === VALUE) v = x;
    else if (id === ERROR) error = x;
    else if (id === NODE) node = x;
  }
  p = skipSpace(b, p + 1);
  if (p !== end && !(b[p] === SEMICOLON && comment(b, p, end))) throw ODD;
  return makeOp(index, time, process, type, f, key, v, error, node);
}

const isType = (t: Value | undefined): t is OpType =>
  t === 'invoke' || t === 'ok' || t === 'fail' || t === 'info';

/** The op as toEvent and buildHistory make it, fields in buildHistory's order; ODD for a defect. */
function makeOp(
  index: number,
  time: Value | undefined,
  process: Value | undefined,
  type: Value | undefined,
  f: Value | undefined,
  key: Value | undefined,
  value: Value | undefined,
  error: Value | undefined,
  node: Value | undefined,
): Op {
  if (process !== 'nemesis' && (typeof process !== 'number' || !Number.isSafeInteger(process) || process < 0))
    throw ODD;
  if (!isType(type) || typeof f !== 'string' || f === '') throw ODD;
  let t = NO_TIME;
  if (time !== undefined && time !== null) {
    if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0) throw ODD;
    t = time;
  }
  const v = value ?? null;
  const hasKey = key !== undefined && key !== null;
  if (hasKey && typeof key !== 'string' && typeof key !== 'number') throw ODD;
  const hasError = error !== undefined && error !== null;
  // The usual shapes as one literal each: every field in the object itself, none added later.
  if (hasKey && !hasError && typeof node === 'string')
    return { index, time: t, process, type, f, value: v, key, node };
  if (hasKey && !hasError && typeof node !== 'string')
    return { index, time: t, process, type, f, value: v, key };
  const op: Op = { index, time: t, process, type, f, value: v };
  if (hasKey) op.key = key;
  if (hasError) op.error = typeof error === 'string' ? error : JSON.stringify(error);
  if (typeof node === 'string') op.node = node;
  return op;
}

/** The op of a raw event from the importer (the generic path), in the same shape. */
function opOf(e: RawEvent, index: number): Op {
  const op: Op = { index, time: e.time ?? NO_TIME, process: e.process, type: e.type, f: e.f, value: e.value };
  if (e.key !== undefined) op.key = e.key;
  if (e.error !== undefined) op.error = e.error;
  if (e.node !== undefined) op.node = e.node;
  return op;
}

/** The line's op read by the generic EDN reader and the importer, for lines outside the common shape. */
function oddLine(b: Buffer, start: number, end: number, index: number): LineResult {
  const line = b.toString('utf8', start, end);
  // NUL or an undecodable byte: the whole-file path names it as binary data.
  if (line.includes('\u0000') || line.includes('\uFFFD')) return GIVE_UP;
  let forms: ReturnType<typeof parseEdn>;
  let e: RawEvent;
  try {
    forms = parseEdn(line);
    if (forms.length === 0) return SKIP;
    const form = forms[0]!.value;
    // One map a line; a vector may be a whole Knossos history, which the old path reads.
    if (forms.length !== 1 || form === null || typeof form !== 'object' || Array.isArray(form))
      return GIVE_UP;
    e = toEvent(form, 1, '');
  } catch {
    return GIVE_UP;
  }
  if (e.value !== null && typeof e.value === 'object' && valueDepth(e.value) > MAX_VALUE_DEPTH)
    return GIVE_UP;
  return opOf(e, index);
}

/**
 * The history from the ops read, as parseJepsenEdn makes it from the same events: independent
 * tuples unwrapped by its rules, missing times filled in and pairing checked as buildHistory
 * does. Undefined where either would throw.
 */
function finish(ops: Op[], lines: Int32Array, independent: boolean | undefined): History | undefined {
  if (ops.length === 0) return undefined;
  const unwrap = independentTuples(ops, independent);
  if (typeof unwrap === 'object') return undefined;
  if (unwrap)
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      if (op.process === 'nemesis') continue;
      const [k, v] = op.value as [string | number, Value];
      const out: Op = {
        index: op.index,
        time: op.time,
        process: op.process,
        type: op.type,
        f: op.f,
        value: v,
      };
      out.key = k;
      if (op.error !== undefined) out.error = op.error;
      if (op.node !== undefined) out.node = op.node;
      ops[i] = out;
    }
  const pairing = new Pairing();
  let lastTime = 0;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (op.time === NO_TIME) op.time = i === 0 ? 0 : Math.max(lastTime, i);
    lastTime = Math.max(lastTime, op.time);
    if (!pairing.accept(op)) return undefined;
  }
  const history: History = { ops, realTime: true };
  setSourceLines(history, lines.subarray(0, ops.length));
  return history;
}

/** One line: the byte parser, else the generic reader and the importer. */
function ednLine(buf: Buffer, start: number, end: number, index: number): LineResult {
  try {
    return event(buf, start, end, index);
  } catch (e) {
    if (e !== ODD) throw e;
    return oddLine(buf, start, end, index);
  }
}

/**
 * Reads a whole EDN input, one map per line, through `read`. Undefined when the fast path
 * gives up (see the file's comment): the caller then reads the file through
 * `parseHistoryBytes`.
 */
export function readEdnStream(read: ReadBytes, options: EdnStreamOptions = {}): History | undefined {
  const lines = readLines(read, { line: ednLine }, options);
  return lines && finish(lines.ops, lines.lines, options.independent);
}

/** The stream reader over bytes in memory (tests; chunkBytes small to cross chunk edges). */
export function readEdnBytes(bytes: Uint8Array, options: EdnStreamOptions = {}): History | undefined {
  return readEdnStream(bytesReader(bytes), options);
}
