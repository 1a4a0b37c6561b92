/** `faultline clean`: remove containers, networks and volumes left by runs that crashed. */
import type { Command } from 'commander';
import { dockerRuntime } from '../runtime/docker/index.js';
import { cleanLocal } from '../runtime/local/index.js';
import { EXIT } from './exit.js';

export function registerClean(program: Command): void {
  program
    .command('clean')
    .description(
      'remove Docker containers, networks and volumes faultline created (labelled faultline) that are still there',
    )
    .option('--run <id>', 'only those of this run')
    .option('--dry-run', 'list what would be removed')
    .action(async (flags: { run?: string; dryRun?: boolean }) => {
      // Local runs first (no engine needed): process groups a dead harness left running.
      const local = cleanLocal({ runId: flags.run, dryRun: flags.dryRun });
      process.stdout.write(
        `${flags.dryRun ? 'would end' : 'ended'} ${local.length} local process group(s)${local.length ? `: ${local.join(', ')}` : ''}\n`,
      );
      let names: string[];
      try {
        names = await dockerRuntime.create({}).clean({ runId: flags.run, dryRun: flags.dryRun });
      } catch (e) {
        process.stderr.write(`faultline: ${(e as Error).message}\n`);
        process.exitCode = EXIT.crash;
        return;
      }
      const verb = flags.dryRun ? 'would remove' : 'removed';
      const line = (kind: string, always: boolean) => {
        const these = names.filter((n) => n.startsWith(`${kind} `)).map((n) => n.slice(kind.length + 1));
        if (!always && these.length === 0) return '';
        return `${verb} ${these.length} ${kind}(s)${these.length ? `: ${these.join(' ')}` : ''}\n`;
      };
      process.stdout.write(line('container', true) + line('network', true) + line('volume', false));
    });
}
