/**
 * Reading a history file of any supported format, detected by content unless named.
 */
import { constants as bufferConstants } from 'node:buffer';
import { existsSync, constants as fsConstants, readSync } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { match } from 'ts-pattern';
import { CallColumns } from './calls.js';
import { joinParts, type LaterPart, readFirstPart } from './calls-part.js';
import { readEdnStream } from './edn-stream.js';
import { InputError, lineAt, specialFileKind } from './errors.js';
import { type EdnImportOptions, parseJepsenEdn } from './import/jepsen-edn.js';
import { isPorcupineEtcdLine, parsePorcupineEtcd } from './import/porcupine-etcd.js';
import { parseSessionsJson } from './import/sessions-json.js';
import { parseJsonl } from './jsonl.js';
import { readJsonlStream, scanJsonlStream } from './jsonl-stream.js';
import type { ReadBytes } from './line-stream.js';
import type { History } from './op.js';

export const FORMATS = ['jsonl', 'edn', 'porcupine-etcd', 'sessions-json'] as const;
export type Format = (typeof FORMATS)[number];

export const isFormat = (s: string): s is Format => (FORMATS as readonly string[]).includes(s);

/** Guesses the format from the first meaningful line; undefined when nothing fits. */
export function detectFormat(text: string): Format | undefined {
  const head = text.slice(0, 4096);
  const firstLine = head.split('\n').find((l) => l.trim() !== '' && !l.trimStart().startsWith(';'));
  // Nothing but comments in the first 4 KiB: only EDN has `;` comments.
  if (firstLine === undefined) return head.trimStart().startsWith(';') ? 'edn' : undefined;
  const line = firstLine.trim();
  if (/^\{\s*("sessions"|$)/.test(line) && /"sessions"\s*:/.test(head)) return 'sessions-json';
  if (line.startsWith('{"')) return 'jsonl';
  if (isPorcupineEtcdLine(line)) return 'porcupine-etcd';
  if (/^(\[|\(|\{|#)/.test(line) || head.trimStart().startsWith(';')) return 'edn';
  return undefined;
}

/** The line of the first NUL or invalid UTF-8 sequence, if any: such a file is not text. */
function binaryLine(bytes: Buffer, text: string): number | undefined {
  const bad = text.search(/[\u0000\uFFFD]/);
  if (bad < 0) return undefined;
  // U+FFFD may be in the file legitimately; only a decoding error counts.
  if (text[bad] === '\uFFFD' && bytes.includes(Buffer.from('\uFFFD'))) return undefined;
  return lineAt(text, bad);
}

export interface ReadOptions extends EdnImportOptions {
  /** Skip detection and read as this format. */
  format?: Format | undefined;
  /** Refuse files larger than this many bytes (default: maxInputBytes()). */
  maxBytes?: number | undefined;
}

/** The most a history file may hold: what fits one string, 512 MiB unless the environment says. */
export function maxInputBytes(): number {
  const mb = Number(process.env.FAULTLINE_MAX_INPUT_MB);
  const wanted = Number.isFinite(mb) && mb > 0 ? Math.floor(mb * 2 ** 20) : 512 * 2 ** 20;
  // A file of one-byte characters becomes a string as long as the file: cap at V8's maximum.
  return Math.min(wanted, bufferConstants.MAX_STRING_LENGTH);
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

function fsError(file: string, e: unknown): InputError {
  const code = (e as NodeJS.ErrnoException).code;
  const reason = match(code)
    .with('ENOENT', () => 'no such file')
    .with('EACCES', 'EPERM', () => 'permission denied')
    .with('EISDIR', () => 'is a directory, not a history file')
    .with('ENOTDIR', () => 'a part of the path is not a directory')
    .with('ELOOP', () => 'too many levels of symbolic links')
    .with('ENAMETOOLONG', () => 'file name too long')
    .with('ERR_INVALID_ARG_VALUE', 'ERR_INVALID_ARG_TYPE', () => 'not a usable file name')
    .otherwise(() => `cannot read (${code ?? String(e)})`);
  return new InputError(file, undefined, reason);
}

function refuse(file: string, stats: Parameters<typeof specialFileKind>[0] & { size: number }, max: number) {
  const kind = specialFileKind(stats);
  if (kind !== undefined)
    throw new InputError(
      file,
      undefined,
      `is ${kind}, not a regular file; histories are read from regular files only`,
    );
  if (stats.size > max)
    throw new InputError(
      file,
      undefined,
      `is ${mib(stats.size)}, more than the ${mib(max)} a history may have (FAULTLINE_MAX_INPUT_MB raises it)`,
    );
}

interface Input {
  handle: FileHandle;
  size: number;
}

/**
 * Opens an input file, refusing up front (by a stat of the name, before anything is opened)
 * directories, FIFOs, devices and sockets, and files over the size cap; the open descriptor
 * is checked again, so a file swapped underneath cannot hang faultline.
 */
async function openInput(file: string, maxBytes: number): Promise<Input> {
  try {
    refuse(file, await stat(file), maxBytes);
  } catch (e) {
    throw e instanceof InputError ? e : fsError(file, e);
  }
  let handle: FileHandle;
  try {
    // Non-blocking: should a FIFO appear under the name after the stat, opening it cannot hang.
    handle = await open(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY);
  } catch (e) {
    throw fsError(file, e);
  }
  try {
    const stats = await handle.stat();
    refuse(file, stats, maxBytes);
    return { handle, size: stats.size };
  } catch (e) {
    await handle.close().catch(() => undefined);
    throw e instanceof InputError ? e : fsError(file, e);
  }
}

/** The whole file from its start; at most `maxBytes` are ever read, so growth cannot fill memory. */
async function readAll(file: string, { handle, size }: Input, maxBytes: number): Promise<Buffer> {
  try {
    let buffer = Buffer.allocUnsafe(Math.min(size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > maxBytes)
          throw new InputError(
            file,
            undefined,
            `grew past the ${mib(maxBytes)} a history may have while being read`,
          );
        const bigger = Buffer.allocUnsafe(Math.min(length * 2, maxBytes + 1));
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return buffer.subarray(0, length);
  } catch (e) {
    throw e instanceof InputError ? e : fsError(file, e);
  }
}

/** Reads a whole input file (see openInput for what is refused). */
export async function readInputFile(file: string, maxBytes = maxInputBytes()): Promise<Buffer> {
  const input = await openInput(file, maxBytes);
  try {
    return await readAll(file, input, maxBytes);
  } finally {
    await input.handle.close().catch(() => undefined);
  }
}

/** Sequential synchronous reads from `position` on; fs errors become InputErrors. */
function reader(file: string, fd: number, position = 0): ReadBytes {
  return (into, offset, length) => {
    try {
      const n = readSync(fd, into, offset, length, position);
      position += n;
      return n;
    } catch (e) {
      throw fsError(file, e);
    }
  };
}

const HEAD_BYTES = 16 * 1024;

/** The format named, else the one detected from the first 4096 characters of the file. */
function formatOf(file: string, fd: number, options: ReadOptions): Format | undefined {
  if (options.format !== undefined) return options.format;
  const head = Buffer.allocUnsafe(HEAD_BYTES);
  const read = reader(file, fd);
  let length = 0;
  for (let n = 1; n > 0 && length < HEAD_BYTES; length += n) n = read(head, length, HEAD_BYTES - length);
  // 16 KiB decode to at least 4096 whole characters, all detectFormat looks at.
  return detectFormat(head.toString('utf8', 0, length));
}

/**
 * The streaming read of a whole file in a format that has one (JSONL, EDN of one map a line):
 * no string of the file. Undefined when it gives up; the file is then read whole and parsed as
 * text, which names the defect.
 */
function readStreaming(file: string, fd: number, options: ReadOptions, maxBytes: number) {
  return match(formatOf(file, fd, options))
    .with('jsonl', () => readJsonlStream(reader(file, fd), { maxBytes }))
    .with('edn', () => readEdnStream(reader(file, fd), { maxBytes, independent: options.independent }))
    .otherwise(() => undefined);
}

/** Parses history text; throws InputError (file, line, reason) on anything malformed. */
export function parseHistory(text: string, file: string, options: ReadOptions = {}): History {
  const { format } = options;
  const chosen = format ?? detectFormat(text);
  if (chosen === undefined) {
    if (text.trim() === '') return { ops: [], realTime: true };
    throw new InputError(
      file,
      1,
      'cannot tell the format of this file; pass --format jsonl|edn|porcupine-etcd|sessions-json',
    );
  }
  return match(chosen)
    .with('jsonl', () => parseJsonl(text, file))
    .with('edn', () => parseJepsenEdn(text, file, options))
    .with('porcupine-etcd', () => parsePorcupineEtcd(text, file))
    .with('sessions-json', () => parseSessionsJson(text, file))
    .exhaustive();
}

export async function readHistoryFile(file: string, options: ReadOptions = {}): Promise<History> {
  const maxBytes = options.maxBytes ?? maxInputBytes();
  const input = await openInput(file, maxBytes);
  try {
    const history = readStreaming(file, input.handle.fd, options, maxBytes);
    if (history !== undefined) return history;
    return parseHistoryBytes(await readAll(file, input, maxBytes), file, options);
  } finally {
    await input.handle.close().catch(() => undefined);
  }
}

/**
 * The client calls of a JSONL file (see calls.ts) and the count of its events, read with the
 * checks readHistoryFile makes; a large file in two parts at once (calls-part.ts). Undefined
 * when the file is not JSONL or anything is unusual: readHistoryFile then reads it and names
 * any defect.
 */
export async function readJsonlCallsFile(file: string, options: ReadOptions = {}) {
  const maxBytes = options.maxBytes ?? maxInputBytes();
  const input = await openInput(file, maxBytes);
  try {
    const { fd } = input.handle;
    if (formatOf(file, fd, options) !== 'jsonl') return undefined;
    const split = input.size >= partsFrom() ? splitPoint(file, fd, input.size) : undefined;
    if (split !== undefined) {
      const inParts = await readInParts(file, fd, split, maxBytes);
      if (inParts !== undefined) return inParts;
    }
    const calls = new CallColumns();
    const events = scanJsonlStream(reader(file, fd), (op) => calls.take(op), { maxBytes });
    return events === undefined ? undefined : { calls, events };
  } finally {
    await input.handle.close().catch(() => undefined);
  }
}

const partWorker = new URL('./calls-worker.js', import.meta.url);

/** Files from this size are read in two parts when there are two cores (FAULTLINE_READ_PARTS_MB). */
function partsFrom(): number {
  const mb = Number(process.env.FAULTLINE_READ_PARTS_MB);
  const usable =
    availableParallelism() >= 2 &&
    partWorker.pathname.endsWith('.js') &&
    partWorker.protocol === 'file:' &&
    existsSync(fileURLToPath(partWorker));
  if (!usable) return Number.POSITIVE_INFINITY;
  return (Number.isFinite(mb) && mb >= 0 ? mb : 32) * 2 ** 20;
}

/** The start of the first line past the middle of the file, if there is one nearby. */
function splitPoint(file: string, fd: number, size: number): number | undefined {
  const middle = Math.floor(size / 2);
  const look = Buffer.allocUnsafe(64 * 1024);
  const n = reader(file, fd, middle)(look, 0, look.length);
  const nl = look.subarray(0, n).indexOf(0x0a);
  return nl < 0 || middle + nl + 1 >= size ? undefined : middle + nl + 1;
}

/** The calls read in two parts, this thread the first; undefined when either gives up. */
async function readInParts(file: string, fd: number, split: number, maxBytes: number) {
  const worker = new Worker(partWorker, { workerData: { file, start: split, maxBytes: maxBytes - split } });
  const later = new Promise<LaterPart | undefined>((resolve) => {
    let got: LaterPart | undefined;
    worker.once('message', (m: LaterPart | null) => {
      got = m ?? undefined;
    });
    worker.once('error', () => resolve(undefined));
    worker.once('exit', () => resolve(got));
  });
  const calls = new CallColumns();
  const first = readFirstPart(upTo(reader(file, fd), split), calls, maxBytes);
  if (first === undefined) {
    await worker.terminate();
    return undefined;
  }
  const part = await later;
  const events = part === undefined ? undefined : joinParts(calls, first, part);
  return events === undefined ? undefined : { calls, events };
}

/** A reader that ends after `limit` bytes. */
function upTo(read: ReadBytes, limit: number): ReadBytes {
  let left = limit;
  return (into, offset, length) => {
    const n = read(into, offset, Math.min(length, left));
    left -= n;
    return n;
  };
}

/** Like parseHistory, for raw bytes: binary junk is bad input, named by its line. */
export function parseHistoryBytes(bytes: Buffer, file: string, options: ReadOptions = {}): History {
  const text = bytes.toString('utf8');
  const line = binaryLine(bytes, text);
  if (line !== undefined) throw new InputError(file, line, 'binary data (not UTF-8 text)');
  return parseHistory(text, file, options);
}
