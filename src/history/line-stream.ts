/**
 * The chunked line loop under the byte-level readers (JSONL, EDN): the input is read in chunks
 * into one buffer, lines are found on bytes, and each line is handed to the format's parser
 * in place, with a newline always at its end (the file's own, or one written after the last
 * line), so parsers never compare positions to the end. Nothing here decodes text.
 */
import type { Op } from './op.js';

/** Reads up to `length` bytes into `into` at `offset`; 0 at the end of the input. */
export type ReadBytes = (into: Buffer, offset: number, length: number) => number;

export interface StreamOptions {
  /** Bytes read at a time (the buffer grows for a longer line). */
  chunkBytes?: number;
  /** Give up once more than this many bytes were read. */
  maxBytes?: number;
  /** False: ops are only handed to `accept`, not kept (a reader keeping its own columns). */
  keep?: boolean;
}

/** What one line gave besides an op: nothing (a blank or comment line), or the fast path's end. */
export const SKIP = 0;
export const GIVE_UP = 1;
export type LineResult = Op | typeof SKIP | typeof GIVE_UP;

export interface LineParser {
  /** The op of the line [start, end) of `buf` (whose byte at `end` is a newline), numbered `index`. */
  line(buf: Buffer, start: number, end: number, index: number): LineResult;
  /** Told of each buffer before lines in it are parsed (a parser may keep a view of it). */
  buffer?(buf: Buffer): void;
  /** False to give up on an op the parser made (e.g. a broken pairing). */
  accept?(op: Op): boolean;
}

/** Bytes kept free after the data: the end mark, and word reads past a line's end. */
const ROOM = 16;
const NEWLINE = 0x0a;

/** The ops in order with each one's source line; undefined when the parser gave up. */
export interface Lines {
  ops: Op[];
  lines: Int32Array;
  /** Events read (ops.length, unless they were not kept). */
  events: number;
}

/** Source line numbers by op, grown by doubling. */
class LineNumbers {
  numbers = new Int32Array(1024);
  set(i: number, line: number): void {
    if (i === this.numbers.length) {
      const grown = new Int32Array(i * 2);
      grown.set(this.numbers);
      this.numbers = grown;
    }
    this.numbers[i] = line;
  }
}

export function readLines(
  read: ReadBytes,
  parser: LineParser,
  options: StreamOptions = {},
): Lines | undefined {
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  let buf = Buffer.allocUnsafe(Math.max(64, options.chunkBytes ?? 4 * 2 ** 20));
  parser.buffer?.(buf);
  const ops: Op[] = [];
  const keep = options.keep !== false;
  const numbers = new LineNumbers();
  let lineNo = 0;
  let events = 0;
  let filled = 0;
  let total = 0;
  let eof = false;
  /** Reads the line [start, end); false to give up. */
  const line = (start: number, end: number): boolean => {
    lineNo++;
    if (start === end) return true;
    const op = parser.line(buf, start, end, events);
    if (op === SKIP) return true;
    if (op === GIVE_UP || (parser.accept !== undefined && !parser.accept(op))) return false;
    events++;
    if (!keep) return true;
    numbers.set(ops.length, lineNo);
    ops.push(op);
    return true;
  };
  for (;;) {
    const data = buf.subarray(0, filled);
    let start = 0;
    for (let nl = data.indexOf(NEWLINE, 0); nl >= 0; nl = data.indexOf(NEWLINE, start)) {
      if (!line(start, nl)) return undefined;
      start = nl + 1;
    }
    if (eof) {
      buf[filled] = NEWLINE; // the parser's end mark for a last line without one (in the room)
      if (start < filled && !line(start, filled)) return undefined;
      break;
    }
    // Keep the unfinished line at the front; grow when it fills the buffer (but for the room).
    buf.copyWithin(0, start, filled);
    filled -= start;
    if (filled === buf.length - ROOM) {
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, filled);
      buf = bigger;
      parser.buffer?.(buf);
    }
    const n = read(buf, filled, buf.length - ROOM - filled);
    if (n === 0) eof = true;
    filled += n;
    total += n;
    if (total > maxBytes) return undefined;
  }
  return { ops, lines: numbers.numbers.subarray(0, ops.length), events };
}

/** A ReadBytes over bytes in memory (tests; chunkBytes small to cross chunk edges). */
export function bytesReader(bytes: Uint8Array): ReadBytes {
  let read = 0;
  return (into, offset, length) => {
    const n = Math.min(length, bytes.length - read);
    into.set(bytes.subarray(read, read + n), offset);
    read += n;
    return n;
  };
}

/** A Latin-1 string of bytes [start, end): the readers' strings are ASCII by the time they ask. */
export const latin1 = (b: Uint8Array, start: number, end: number): string =>
  Buffer.prototype.latin1Slice.call(b, start, end);

const INTERN_SLOTS = 4096;
const INTERN_MAX = 32;

/**
 * Recently read short strings by a hash of their bytes, so that each distinct one is made
 * once: a slot holds the last string that hashed to it. `names`: new strings are internalized
 * as property names are (only for few distinct ones: that costs an object each).
 */
export interface Interner {
  slots: Array<string | undefined>;
  names: boolean;
}

export const interner = (names = false): Interner => ({
  slots: new Array(INTERN_SLOTS).fill(undefined),
  names,
});

/** The start of a hash of bytes, and one more byte of it (FNV-1a). */
export const FNV_BASIS = 0x811c9dc5;
export const fnv = (hash: number, c: number): number => Math.imul(hash ^ c, 0x01000193);

/** The ASCII text of [start, end) of `b`, whose bytes hash to `hash`: the known one when short. */
export function intern(t: Interner, b: Uint8Array, start: number, end: number, hash: number): string {
  const len = end - start;
  if (len > INTERN_MAX) return latin1(b, start, end);
  const slot = (hash ^ len) & (INTERN_SLOTS - 1);
  const known = t.slots[slot];
  if (known !== undefined && known.length === len) {
    let i = 0;
    while (i < len && known.charCodeAt(i) === b[start + i]) i++;
    if (i === len) return known;
  }
  const s = t.names ? internalize(latin1(b, start, end)) : latin1(b, start, end);
  t.slots[slot] = s;
  return s;
}

export const internalize = (s: string): string => Object.keys({ [s]: 0 })[0] ?? s;

/**
 * Four ASCII characters of `text` from `at` as a little-endian 32-bit word: what a reader
 * gets from the same bytes with getUint32(p, true), so fixed spellings match by word.
 */
export function asciiWord(text: string, at = 0): number {
  return (
    (text.charCodeAt(at) |
      (text.charCodeAt(at + 1) << 8) |
      (text.charCodeAt(at + 2) << 16) |
      (text.charCodeAt(at + 3) << 24)) >>>
    0
  );
}
