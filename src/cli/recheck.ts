/**
 * `faultline recheck DIR...`: today's checkers on stored runs or whole campaigns (history and
 * node logs only, no cluster), one line per run, and where a verdict changed. Exit 0 when
 * every stored verdict is reproduced, 1 when one changed, 254 for a folder that holds no run.
 */
import { relative } from 'node:path';
import type { Command } from 'commander';
import { findRuns, type RecheckResult, recheckRun } from '../campaign/recheck.js';
import type { Verdict } from '../checker/types.js';
import { InputError } from '../history/errors.js';
import { EXIT } from './exit.js';

const word = (v: Verdict | undefined) =>
  v === undefined ? 'unchecked' : v === true ? 'valid' : v === false ? 'INVALID' : 'unknown';

export async function recheckCommand(dirs: string[], flags: { json?: boolean }): Promise<number> {
  const runs = findRuns(dirs);
  const out: RecheckResult[] = [];
  for (const dir of runs) {
    let r: RecheckResult;
    try {
      r = await recheckRun(dir);
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw new InputError(dir, undefined, (e as Error).message);
    }
    out.push(r);
    const name = relative(process.cwd(), dir) || dir;
    if (flags.json) {
      const { results: _results, ...line } = r;
      process.stdout.write(`${JSON.stringify(line)}\n`);
      continue;
    }
    const changes = Object.entries(r.checkers)
      .map(([k, [a, b]]) => `${k} ${word(a)} → ${word(b)}`)
      .join(', ');
    const head =
      r.before === undefined
        ? `${word(r.after)} (not checked before)`
        : r.changed
          ? `CHANGED ${word(r.before)} → ${word(r.after)}`
          : `same (${word(r.after)})`;
    process.stdout.write(`${name}: ${head}${changes ? ` [${changes}]` : ''}\n`);
  }
  const changed = out.filter((r) => r.changed).length;
  if (!flags.json)
    process.stdout.write(
      `${out.length} run${out.length === 1 ? '' : 's'} rechecked: ${changed === 0 ? 'every stored verdict reproduced' : `${changed} verdict${changed === 1 ? '' : 's'} changed`}\n`,
    );
  return changed === 0 ? EXIT.valid : EXIT.invalid;
}

export function registerRecheck(program: Command): void {
  program
    .command('recheck')
    .description(
      "re-run today's checkers on stored runs or campaigns (history only) and report changed verdicts",
    )
    .argument('<dir...>', 'run folders, campaign folders or a reports folder')
    .option('--json', 'one JSON line per run on stdout')
    .action(async (dirs: string[], flags: { json?: boolean }) => {
      process.exitCode = await recheckCommand(dirs, flags);
    });
}
