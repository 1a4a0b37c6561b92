/**
 * Reading a history file of any supported format, detected by content unless named.
 */
import { readFile } from 'node:fs/promises';
import { match } from 'ts-pattern';
import { InputError } from './errors.js';
import { type EdnImportOptions, parseJepsenEdn } from './import/jepsen-edn.js';
import { isPorcupineEtcdLine, parsePorcupineEtcd } from './import/porcupine-etcd.js';
import { parseSessionsJson } from './import/sessions-json.js';
import { parseJsonl } from './jsonl.js';
import type { History } from './op.js';

export const FORMATS = ['jsonl', 'edn', 'porcupine-etcd', 'sessions-json'] as const;
export type Format = (typeof FORMATS)[number];

export const isFormat = (s: string): s is Format => (FORMATS as readonly string[]).includes(s);

/** Guesses the format from the first meaningful line; undefined when nothing fits. */
export function detectFormat(text: string): Format | undefined {
  const head = text.slice(0, 4096);
  const firstLine = head.split('\n').find((l) => l.trim() !== '' && !l.trimStart().startsWith(';'));
  if (firstLine === undefined) return undefined;
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
  return text.slice(0, bad).split('\n').length;
}

export interface ReadOptions extends EdnImportOptions {
  /** Skip detection and read as this format. */
  format?: Format | undefined;
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
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(file, undefined, code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? e})`);
  }
  return parseHistoryBytes(bytes, file, options);
}

/** Like parseHistory, for raw bytes: binary junk is bad input, named by its line. */
export function parseHistoryBytes(bytes: Buffer, file: string, options: ReadOptions = {}): History {
  const text = bytes.toString('utf8');
  const line = binaryLine(bytes, text);
  if (line !== undefined) throw new InputError(file, line, 'binary data (not UTF-8 text)');
  return parseHistory(text, file, options);
}
