/**
 * How the CLI ends: Jepsen's exit codes, one clear line for bad input, never a stack trace
 * unless FAULTLINE_DEBUG is set.
 */
import { CommanderError } from 'commander';
import { InputError } from '../history/errors.js';

export const EXIT = { valid: 0, invalid: 1, unknown: 2, badInput: 254, crash: 255 } as const;

/** A bad flag or flag value; exits 254 like bad input. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function exitOnError(error: unknown): never {
  if (error instanceof CommanderError) {
    // --help and --version end here with code 0; commander has already printed its message.
    process.exit(error.exitCode === 0 ? 0 : EXIT.badInput);
  }
  if (error instanceof InputError || error instanceof UsageError) {
    process.stderr.write(`faultline: ${error.message}\n`);
    process.exit(EXIT.badInput);
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`faultline: internal error: ${message}\n`);
  if (process.env.FAULTLINE_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  else process.stderr.write('(set FAULTLINE_DEBUG=1 for the stack trace)\n');
  process.exit(EXIT.crash);
}
