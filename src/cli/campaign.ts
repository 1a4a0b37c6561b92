/**
 * `faultline campaign FILE`: a matrix of runs from a campaign file (.ts/.js/.mjs or YAML), each
 * cell a normal run under reports/<campaign>/<cell>/; summary.json, junit.xml, the matrix page,
 * and on GitHub Actions annotations and a job summary. Exits with the worst cell: 0 valid,
 * 1 invalid, 2 unknown, 255 harness trouble (254: bad campaign file or flags).
 */

import { relative } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type CampaignRunOptions, RuntimeUnavailableError, runCampaign } from '../campaign/execute.js';
import { githubOutputs } from '../campaign/github.js';
import { loadCampaign } from '../campaign/load.js';
import { parseShard, shardCells } from '../campaign/matrix.js';
import { campaignProgress } from '../campaign/progress.js';
import { ConfigError } from '../config/load.js';
import type { Runtime } from '../runtime/runtime.js';
import { EXIT, UsageError } from './exit.js';
import { interruptHandling as sharedInterrupt } from './interrupt.js';

const int = (min: number) => (text: string) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}`);
  return n;
};
const positive = (text: string) => {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
};
const shard = (text: string) => {
  try {
    return parseShard(text);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message.replace(/^--shard: /, ''));
  }
};

interface Flags {
  parallel?: number;
  shard?: { index: number; count: number };
  resume?: boolean;
  failFast?: boolean;
  timeBudget?: number;
  retries?: number;
  reports?: string;
  list?: boolean;
  json?: boolean;
}

/** Ctrl-C once: start no more cells, stop the running ones (teardown, check); twice: remove everything now. */
function interruptHandling(runtimes: Set<Runtime>) {
  return sharedInterrupt({
    stopAll: () => Promise.allSettled([...runtimes].map((r) => r.stopAll())),
    first: 'starting no more cells; the running ones tear down, then the summary',
    second: "removing the running cells' nodes now",
  });
}

export async function campaignCommand(file: string, flags: Flags): Promise<number> {
  let matrix: Awaited<ReturnType<typeof loadCampaign>>;
  try {
    matrix = await loadCampaign(file);
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw e;
  }
  if (flags.list) {
    const cells = flags.shard ? shardCells(matrix.cells, flags.shard) : matrix.cells;
    for (const c of cells) process.stdout.write(`${c.id}\n`);
    for (const x of flags.shard ? [] : matrix.excluded)
      process.stdout.write(`# excluded ${x.id}${x.reason ? `: ${x.reason}` : ''}\n`);
    return EXIT.valid;
  }
  const runtimes = new Set<Runtime>();
  const interrupt = interruptHandling(runtimes);
  const parallel = flags.parallel ?? matrix.defaults.parallel ?? 1;
  let progress: ReturnType<typeof campaignProgress> | undefined;
  const options: CampaignRunOptions = {
    parallel,
    shard: flags.shard,
    resume: flags.resume,
    failFast: flags.failFast,
    timeBudgetS: flags.timeBudget,
    retries: flags.retries,
    reportsDir: flags.reports,
    signal: interrupt.signal,
    onRuntime: (r) => runtimes.add(r),
    onPlanned: ({ total, resumed }) => {
      progress = campaignProgress(process.stderr, { total, parallel, name: matrix.name });
      progress.message(
        `faultline: campaign ${matrix.name}: ${total} cells${flags.shard ? ` (shard ${flags.shard.index}/${flags.shard.count} of ${matrix.cells.length})` : ''}, ${parallel} at a time${matrix.excluded.length ? `, ${matrix.excluded.length} excluded` : ''}`,
      );
      progress.resumed(resumed);
    },
    onCellStart: (cell, attempt) => progress?.start(cell, attempt),
    onCellProgress: (cell, p) => progress?.progress(cell, p),
    onCellEvent: (cell, message) => progress?.event(cell, message),
    onCellEnd: (outcome, done) => progress?.end(outcome, done),
  };
  try {
    const summary = await runCampaign(matrix, options);
    progress?.stop();
    githubOutputs(summary, file, process.stdout);
    if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else {
      const c = summary.counts;
      const rel = (p: string) => {
        const r = relative(process.cwd(), p);
        return r.startsWith('..') ? p : r;
      };
      process.stdout.write(
        `campaign ${summary.campaign}: ${c.cells} cells in ${summary.durationS} s: ${c.valid} valid, ${c.invalid} invalid, ${c.unknown} unknown, ${c.error} harness errors` +
          `${c.interrupted ? `, ${c.interrupted} interrupted` : ''}${c.notRun ? `, ${c.notRun} not run (${summary.stopped})` : ''}` +
          `${c.excluded ? `; ${c.excluded} excluded` : ''}\n` +
          `summary: ${rel(`${summary.dir}/summary.json`)}\njunit: ${rel(`${summary.dir}/junit.xml`)}\nreport: ${rel(`${summary.dir}/index.html`)}\n`,
      );
    }
    return summary.exitCode;
  } catch (e) {
    progress?.stop();
    if (e instanceof ConfigError) throw new UsageError(e.message);
    if (e instanceof RuntimeUnavailableError) {
      process.stderr.write(`faultline: ${e.message}\n`);
      return EXIT.crash;
    }
    throw e;
  } finally {
    interrupt.dispose();
  }
}

export function registerCampaign(program: Command): void {
  program
    .command('campaign')
    .description(
      'run a matrix of runs (targets × workloads × nemeses × runtimes × seeds) from a campaign file; summary.json, junit.xml, a matrix page',
    )
    .argument('<file>', 'campaign file: .ts, .mts, .js, .mjs, .yaml or .yml')
    .addOption(
      new Option('--parallel <n>', 'cells at once (default 1, or the file\'s "parallel")').argParser(int(1)),
    )
    .addOption(
      new Option('--shard <i/n>', 'run only shard i of n (a deterministic split, for a CI matrix)').argParser(
        shard,
      ),
    )
    .option('--resume', 'skip cells that already finished (valid, invalid or unknown) in the reports folder')
    .option('--fail-fast', 'start no more cells after an invalid or errored one')
    .addOption(
      new Option('--time-budget <s>', 'start no new cell after this many seconds').argParser(positive),
    )
    .addOption(
      new Option(
        '--retries <n>',
        'retry a cell with harness trouble this many times (never an invalid one)',
      ).argParser(int(0)),
    )
    .option(
      '--reports <dir>',
      'where the campaign\'s folder goes (default reports, or the file\'s "reports")',
    )
    .option('--list', 'print the cell ids (of the shard, with --shard) and the excluded ones; run nothing')
    .option('--json', 'print the summary as one JSON line on stdout')
    .action(async (file: string, flags: Flags) => {
      process.exitCode = await campaignCommand(file, flags);
    });
}
