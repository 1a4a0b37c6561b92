/** `faultline export FILE --to edn|jsonl`: convert a history between formats. */
import { writeFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError } from 'commander';
import { toJepsenEdn } from '../history/export-edn.js';
import { toJsonl } from '../history/jsonl.js';
import type { Format } from '../history/read.js';
import { readHistoryFile } from '../history/read.js';
import { parseFormat } from './options.js';

interface ExportFlags {
  format?: Format;
  independent?: boolean;
  to: 'edn' | 'jsonl';
  output?: string;
  independentTuples?: boolean;
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('Convert a history to Jepsen EDN (for Jepsen/Knossos) or faultline JSONL')
    .argument('<file>', 'history file in any supported format')
    .option('--independent', 'EDN: values are jepsen.independent [k v] tuples (default: guessed)')
    .option('--no-independent', 'EDN: values are plain, never [k v] tuples')
    .option('--format <format>', 'input format: jsonl | edn | porcupine-etcd | sessions-json', parseFormat)
    .option(
      '--to <format>',
      'output format: edn | jsonl',
      (v: string) => {
        if (v !== 'edn' && v !== 'jsonl') throw new InvalidArgumentError('expected edn or jsonl');
        return v;
      },
      'edn',
    )
    .option('-o, --output <file>', 'write here instead of standard output')
    .option('--independent-tuples', 'EDN: write keyed operations as jepsen.independent [k v] tuples')
    .action(async (file: string, flags: ExportFlags) => {
      const history = await readHistoryFile(file, { format: flags.format, independent: flags.independent });
      const text =
        flags.to === 'edn'
          ? toJepsenEdn(history, { independentTuples: flags.independentTuples ?? false })
          : toJsonl(history);
      if (flags.output) await writeFile(flags.output, text);
      else process.stdout.write(text);
    });
}
