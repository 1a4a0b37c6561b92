/**
 * Bad input, and the helpers that keep every reader's promise about it: a malformed file ends
 * with one short, printable line naming the file and, where there is one, the line; never a
 * stack trace, a hang, or a terminal full of the file's bytes.
 */

/** Longest file name an error message shows, in characters (longer ones are cut). */
export const MAX_FILE_CHARS = 200;
/** Longest reason an error message shows, in characters (longer ones are cut). */
export const MAX_REASON_CHARS = 400;
/** Deepest nesting of an operation's value any reader accepts (histories need a handful). */
export const MAX_VALUE_DEPTH = 100;

// C0 and C1 controls, DEL, line/paragraph separators, and the bidirectional overrides and
// isolates that can make a terminal show text other than what is there.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code < 0x100
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Text safe to print on one terminal line: control characters (newlines included) escaped as
 * `\n`, `\x1b`, `\u202e`…, and at most `max` characters kept, the rest summarised. Linear in
 * what it keeps, not in the input: a 20 MB token costs as much as a short one.
 */
export function printable(text: string, max: number, alsoCut = 0): string {
  let out = '';
  let i = 0;
  for (; i < text.length && out.length < max; i++) {
    const c = text[i]!;
    if (UNSAFE.test(c)) out += escapeChar(c);
    else {
      const code = c.charCodeAt(0);
      // Keep surrogate pairs whole; a lone surrogate is shown as its escape.
      if (code >= 0xd800 && code <= 0xdbff) {
        const low = text.charCodeAt(i + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          out += c + text[i + 1];
          i++;
        } else out += escapeChar(c);
      } else if (code >= 0xdc00 && code <= 0xdfff) out += escapeChar(c);
      else out += c;
    }
  }
  const rest = text.length - i + alsoCut;
  return rest > 0 ? `${out}… (${rest} more characters)` : out;
}

/**
 * Multi-line text for a terminal (a checker's summary quoting values from the history): every
 * line kept and in full, but control characters other than the newlines escaped.
 */
export function terminalText(text: string): string {
  return text
    .split('\n')
    .map((line) => printable(line, Number.POSITIVE_INFINITY))
    .join('\n');
}

/** An arbitrary message as one printable line: runs of newlines become a space first. */
export function oneLine(text: string, max = MAX_FILE_CHARS + MAX_REASON_CHARS + 20): string {
  // Bounded before the regex so a huge message costs nothing; `printable` cuts again.
  const head = text.length > max * 8 ? text.slice(0, max * 8) : text;
  return printable(head.replace(/[ \t]*[\r\n]+[ \t]*/g, ' '), max, text.length - head.length);
}

/**
 * Bad input: a file that cannot be read as a history. The CLI prints `message` as one line
 * and exits 254; no stack trace, because the fault is in the file, not in faultline. The
 * message is always printable and short, whatever the file name and the reason contain.
 */
export class InputError extends Error {
  readonly reason: string;
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    reason: string,
  ) {
    // One line, always: parser messages may quote multi-line snippets of the input.
    const shownReason = oneLine(String(reason), MAX_REASON_CHARS);
    const shownFile = printable(String(file), MAX_FILE_CHARS);
    super(line === undefined ? `${shownFile}: ${shownReason}` : `${shownFile}:${line}: ${shownReason}`);
    this.reason = shownReason;
    this.name = 'InputError';
  }
}

/**
 * Bad input found in one operation by code that sees the history, not the file (a checker
 * whose model cannot interpret the operation): `index` is the operation's event index, and
 * whoever knows the file turns it into file:line (see `sourceLine` in build.ts).
 */
export class OpError extends InputError {
  constructor(
    readonly index: number,
    readonly detail: string,
  ) {
    super('history', undefined, `event ${index}: ${detail}`);
    this.name = 'OpError';
  }
}

/** A syntax error inside one file, before the file name is known to the parser. */
export class ParseError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${oneLine(reason, MAX_REASON_CHARS)}`);
    this.name = 'ParseError';
  }
}

/** The 1-based line of a character offset in `text`, without splitting the text. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  const end = Math.min(offset, text.length);
  for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/**
 * How deep a value nests, counted without recursion and stopping at `limit + 1`: values
 * straight from JSON.parse can nest far deeper than the stack of any recursive consumer.
 */
export function valueDepth(value: unknown, limit = MAX_VALUE_DEPTH): number {
  if (value === null || typeof value !== 'object') return 0;
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (depth > deepest) {
      deepest = depth;
      if (deepest > limit) return deepest;
    }
    const children = Array.isArray(v) ? v : Object.values(v as object);
    for (const child of children)
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return deepest;
}

/** Why a path that is not a regular file cannot be read as a history, e.g. "a FIFO". */
export function specialFileKind(stats: {
  isFile(): boolean;
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string | undefined {
  if (stats.isFile()) return undefined;
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}
