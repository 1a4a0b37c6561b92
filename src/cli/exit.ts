/**
 * How the CLI ends: Jepsen's exit codes, one clear line for bad input, never a stack trace
 * unless FAULTLINE_DEBUG is set. Every line is printable (control characters escaped) and
 * short, and reaches stderr in full before the process exits, even when stderr is a pipe.
 */
import { CommanderError } from 'commander';
import { InputError, oneLine } from '../history/errors.js';

export const EXIT = { valid: 0, invalid: 1, unknown: 2, badInput: 254, crash: 255 } as const;

/** A bad flag or flag value; exits 254 like bad input. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** How long exiting waits for stderr to drain (a reader that never reads cannot hold us). */
const DRAIN_MS = 5000;

/**
 * Writes `text` to stderr, then exits with `code` once it is written: process.exit() right
 * after a write drops whatever a pipe had not taken yet (a long line was cut at 64 KiB).
 */
export function exitWith(code: number, text = ''): void {
  process.exitCode = code;
  const done = () => process.exit(code);
  if (text === '') {
    done();
    return;
  }
  // Not unref'd: whatever else is pending, the process ends within DRAIN_MS.
  setTimeout(done, DRAIN_MS);
  try {
    process.stderr.write(text, () => done());
  } catch {
    done();
  }
}

/**
 * Ends a command that has said all it has to say: once stdout has taken what was written,
 * exits with `code`. A run's teardown is done by then; a handle left open by a user's client
 * library (a socket to a killed server, a retry timer) must not hold the process for minutes.
 */
export function exitWhenDone(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), DRAIN_MS);
  process.stdout.write('', () => process.exit(code));
}

/** A message as the one line faultline prints for it. */
export const errorLine = (message: string) => `faultline: ${oneLine(message)}\n`;

let exiting = false;

/** Ends the process for an error that reached the top: its line on stderr, then its exit code. */
export function exitOnError(error: unknown): void {
  if (exiting) return;
  exiting = true;
  if (error instanceof CommanderError) {
    // --help and --version end here with code 0; commander has already printed its message.
    exitWith(error.exitCode === 0 ? 0 : EXIT.badInput);
    return;
  }
  if (error instanceof InputError || error instanceof UsageError) {
    exitWith(EXIT.badInput, errorLine(error.message));
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  const debug = process.env.FAULTLINE_DEBUG && error instanceof Error;
  exitWith(
    EXIT.crash,
    `faultline: internal error: ${oneLine(message)}\n${
      debug ? `${error.stack}\n` : '(set FAULTLINE_DEBUG=1 for the stack trace)\n'
    }`,
  );
}
