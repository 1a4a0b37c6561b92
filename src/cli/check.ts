/** `faultline check FILE`: read a history in any supported format and judge it. */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { checkerNames, checkers } from '../checker/registry.js';
import {
  type Checker,
  type CheckOptions,
  type CheckResult,
  canCheckCalls,
  exitCodeFor,
  type Verdict,
  worstVerdict,
} from '../checker/types.js';
import { sourceLine } from '../history/build.js';
import { callsByKey } from '../history/calls.js';
import { InputError, OpError, terminalText } from '../history/errors.js';
import type { Value } from '../history/op.js';
import type { Format } from '../history/read.js';
import { readHistoryFile, readJsonlCallsFile } from '../history/read.js';
import { UsageError } from './exit.js';
import { oneOf, parseFormat, parseJsonValue, parseSeconds } from './options.js';

interface CheckFlags {
  format?: Format;
  independent?: boolean;
  checker?: string;
  model?: string;
  initial?: Value;
  timeLimit?: number;
  json?: boolean;
  report?: string;
  nilRead?: string;
  failedCas?: string;
}

const defaultChecker = () => ('linearizable' in checkers ? 'linearizable' : 'stats');

const verdictWord = (r: CheckResult) =>
  r.valid === true ? 'VALID' : r.valid === false ? 'INVALID' : 'UNKNOWN';

function checkOptions(file: string, flags: CheckFlags): CheckOptions {
  const options: CheckOptions = { file };
  if (flags.model !== undefined) options.model = flags.model;
  if (flags.initial !== undefined) options.initial = flags.initial;
  if (flags.nilRead !== undefined) options.nilRead = flags.nilRead;
  if (flags.failedCas !== undefined) options.failedCas = flags.failedCas;
  if (flags.timeLimit !== undefined) options.timeLimitMs = flags.timeLimit * 1000;
  return options;
}

interface Checked {
  result: CheckResult;
  events: number;
  ms: number;
}

/**
 * The result from the file's calls, when the checker can judge calls and no report is wanted:
 * reading calls costs a fraction of reading events, and the result is the same. Undefined when
 * the file is not JSONL or has a defect: the events path names it by its line.
 */
async function fromCalls(file: string, checker: Checker, flags: CheckFlags): Promise<Checked | undefined> {
  if (!canCheckCalls(checker) || flags.report !== undefined) return undefined;
  const read = await readJsonlCallsFile(file, { format: flags.format });
  if (read === undefined) return undefined;
  const started = performance.now();
  try {
    const result = await checker.checkCalls(callsByKey(read.calls), checkOptions(file, flags));
    return { result, events: read.events, ms: performance.now() - started };
  } catch (e) {
    if (e instanceof InputError || e instanceof OpError) return undefined;
    throw e;
  }
}

/** The file's result from its events (and its report when asked for). */
async function checkEvents(
  file: string,
  checker: Checker,
  name: string,
  flags: CheckFlags,
): Promise<Checked> {
  const history = await readHistoryFile(file, { format: flags.format, independent: flags.independent });
  const started = performance.now();
  let result: CheckResult;
  try {
    result = await checker.check(history, checkOptions(file, flags));
  } catch (e) {
    // An operation the checker cannot interpret: name it by the file's line.
    if (e instanceof OpError) throw new InputError(file, sourceLine(history, e.index), e.detail);
    // A checker that sees the history, not the file, names it "history": name the file instead.
    if (e instanceof InputError && e.file === 'history') throw new InputError(file, e.line, e.reason);
    throw e;
  }
  const ms = performance.now() - started;
  if (flags.report) {
    // Loaded only when asked for: the report renderer is not needed to judge a history.
    const { renderReport } = await import('../report/page.js');
    const page = renderReport({
      title: `faultline check ${file}`,
      valid: result.valid,
      history,
      results: { [name]: result },
    });
    await writeFile(flags.report, page);
  }
  return { result, events: history.ops.length, ms };
}

/** Checks one file; returns its result and prints its human summary unless --json. */
async function checkFile(file: string, checker: Checker, name: string, flags: CheckFlags) {
  const { result, events, ms } =
    (await fromCalls(file, checker, flags)) ?? (await checkEvents(file, checker, name, flags));
  if (!flags.json) {
    const summary = typeof result.summary === 'string' ? result.summary : undefined;
    // File names and values quoted in the summary come from outside: no raw control characters.
    process.stdout.write(
      `${terminalText(file).replaceAll('\n', '\\n')}: ${events} events; ${name}: ${verdictWord(result)} (${ms.toFixed(1)} ms)\n` +
        (summary ? `  ${terminalText(summary).replaceAll('\n', '\n  ')}\n` : ''),
    );
  }
  return { ...result, valid: result.valid, file, checker: name, ms };
}

export async function runCheck(files: string[], flags: CheckFlags): Promise<number> {
  const name = flags.checker ?? defaultChecker();
  // Own properties only: `--checker __proto__` (or toString) is a bad flag, not a crash.
  const checker = Object.hasOwn(checkers, name) ? checkers[name] : undefined;
  if (!checker) throw new UsageError(`unknown checker '${name}'; known: ${checkerNames().join(', ')}`);
  const results: Array<CheckResult & { file: string }> = [];
  for (const file of files) results.push(await checkFile(file, checker, name, flags));
  const valid = worstVerdict(results.map((r) => r.valid));
  if (flags.json) {
    const out = results.length === 1 ? results[0] : { valid, files: results };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } else if (results.length > 1) {
    const count = (v: Verdict) => results.filter((r) => r.valid === v).length;
    process.stdout.write(
      `${results.length} files: ${count(true)} valid, ${count(false)} invalid, ${count('unknown')} unknown\n`,
    );
  }
  return exitCodeFor(valid);
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description(
      'Check a recorded history (faultline JSONL, Jepsen/Knossos EDN, Porcupine logs, sessions JSON)',
    )
    .argument('<files...>', 'history files; the format is detected from the content unless --format is given')
    .option('--independent', 'EDN: values are jepsen.independent [k v] tuples (default: guessed)')
    .option('--no-independent', 'EDN: values are plain, never [k v] tuples')
    .option('--format <format>', 'jsonl | edn | porcupine-etcd | sessions-json', parseFormat)
    .option(
      '--checker <name>',
      `which checker judges the history (default: linearizable if built in, else stats)`,
    )
    .option(
      '--model <name>',
      'the model the checker uses (e.g. cas-register, kv, mutex; CC, CCv, CM for causal)',
    )
    .option('--initial <json>', 'initial model state as JSON (e.g. 0 or null)', parseJsonValue)
    .option(
      '--nil-read <absent|unknown>',
      'register models: a nil read means the register is empty (absent; default when --initial is null) or tells nothing (unknown; Knossos)',
      (v: string) => oneOf(v, ['absent', 'unknown']),
    )
    .option(
      '--failed-cas <drop|mismatch>',
      'register models: a failed cas did nothing (drop; default) or observed a different value (mismatch; Porcupine etcd)',
      (v: string) => oneOf(v, ['drop', 'mismatch']),
    )
    .option('--time-limit <seconds>', 'give up with verdict unknown after this long', parseSeconds)
    .option('--report <file.html>', 'also write an HTML report (verdict, evidence, timeline) for the history')
    .option('--json', 'print one JSON object whose "valid" is true, false or "unknown"')
    .addHelpText(
      'after',
      `
Exit codes (the worst over all files): 0 valid, 1 invalid, 2 unknown, 254 bad arguments or input,
255 internal error. With several files, --json prints {valid, files: [...]}.

Examples:
  faultline check examples/cas-register-ok.edn --checker stats
  faultline check run/history.jsonl --checker linearizable --model cas-register --json`,
    )
    .action(async (files: string[], flags: CheckFlags) => {
      process.exitCode = await runCheck(files, flags);
    });
}
