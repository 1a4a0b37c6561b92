/** `faultline check FILE`: read a history in any supported format and judge it. */
import type { Command } from 'commander';
import { checkerNames, checkers } from '../checker/registry.js';
import { type CheckOptions, type CheckResult, exitCodeFor } from '../checker/types.js';
import type { Value } from '../history/op.js';
import type { Format } from '../history/read.js';
import { readHistoryFile } from '../history/read.js';
import { UsageError } from './exit.js';
import { parseFormat, parseJsonValue, parseSeconds } from './options.js';

interface CheckFlags {
  format?: Format;
  independent?: boolean;
  checker?: string;
  model?: string;
  initial?: Value;
  timeLimit?: number;
  json?: boolean;
}

const defaultChecker = () => ('linearizable' in checkers ? 'linearizable' : 'stats');

const verdictWord = (r: CheckResult) =>
  r.valid === true ? 'VALID' : r.valid === false ? 'INVALID' : 'UNKNOWN';

export async function runCheck(file: string, flags: CheckFlags): Promise<number> {
  const name = flags.checker ?? defaultChecker();
  const checker = checkers[name];
  if (!checker) throw new UsageError(`unknown checker '${name}'; known: ${checkerNames().join(', ')}`);
  const history = await readHistoryFile(file, { format: flags.format, independent: flags.independent });
  const options: CheckOptions = { file };
  if (flags.model !== undefined) options.model = flags.model;
  if (flags.initial !== undefined) options.initial = flags.initial;
  if (flags.timeLimit !== undefined) options.timeLimitMs = flags.timeLimit * 1000;
  const started = performance.now();
  const result = await checker.check(history, options);
  const ms = performance.now() - started;
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ ...result, valid: result.valid, file, checker: name, ms })}\n`);
  } else {
    const summary = typeof result.summary === 'string' ? result.summary : undefined;
    process.stdout.write(
      `${file}: ${history.ops.length} events; ${name}: ${verdictWord(result)} (${ms.toFixed(1)} ms)\n` +
        (summary ? `  ${summary.replaceAll('\n', '\n  ')}\n` : ''),
    );
  }
  return exitCodeFor(result.valid);
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description(
      'Check a recorded history (faultline JSONL, Jepsen/Knossos EDN, Porcupine logs, sessions JSON)',
    )
    .argument('<file>', 'history file; its format is detected from its content unless --format is given')
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
    .option('--time-limit <seconds>', 'give up with verdict unknown after this long', parseSeconds)
    .option('--json', 'print one JSON object whose "valid" is true, false or "unknown"')
    .addHelpText(
      'after',
      `
Exit codes: 0 valid, 1 invalid, 2 unknown, 254 bad arguments or input, 255 internal error.

Examples:
  faultline check examples/cas-register-ok.edn --checker stats
  faultline check run/history.jsonl --checker linearizable --model cas-register --json`,
    )
    .action(async (file: string, flags: CheckFlags) => {
      process.exitCode = await runCheck(file, flags);
    });
}
