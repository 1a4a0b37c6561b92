/** Parsers for flag values shared by several commands; each throws UsageError on bad input. */
import { InvalidArgumentError } from 'commander';
import type { Value } from '../history/op.js';
import { FORMATS, type Format, isFormat } from '../history/read.js';

export function parseSeconds(text: string): number {
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new InvalidArgumentError('expected a positive number of seconds');
  return seconds;
}

export function parseFormat(text: string): Format {
  if (!isFormat(text)) throw new InvalidArgumentError(`expected one of ${FORMATS.join(', ')}`);
  return text;
}

export function parseJsonValue(text: string): Value {
  try {
    return JSON.parse(text) as Value;
  } catch {
    throw new InvalidArgumentError(`expected JSON (e.g. 0, null, "a", {"x":0}), got ${text}`);
  }
}

export function oneOf<T extends string>(text: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text))
    throw new InvalidArgumentError(`expected one of ${choices.join(', ')}`);
  return text as T;
}
