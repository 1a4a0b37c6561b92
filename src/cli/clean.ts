/** `faultline clean`: remove containers and networks left by runs that crashed. */
import type { Command } from 'commander';
import { cleanDocker, listFaultlineResources } from '../runtime/docker/clean.js';
import { engineStatus } from '../runtime/docker/engine.js';
import { cleanLocal } from '../runtime/local/index.js';
import { EXIT } from './exit.js';

export function registerClean(program: Command): void {
  program
    .command('clean')
    .description(
      'remove Docker containers and networks faultline created (labelled faultline) that are still there',
    )
    .option('--run <id>', 'only those of this run')
    .option('--dry-run', 'list what would be removed')
    .action(async (flags: { run?: string; dryRun?: boolean }) => {
      // Local runs first (no engine needed): process groups a dead harness left running.
      const local = cleanLocal({ runId: flags.run, dryRun: flags.dryRun });
      process.stdout.write(
        `${flags.dryRun ? 'would end' : 'ended'} ${local.length} local process group(s)${local.length ? `: ${local.join(', ')}` : ''}\n`,
      );
      const engine = await engineStatus();
      if (!engine.ok) {
        process.stderr.write(`faultline: ${engine.reason}\n`);
        process.exitCode = EXIT.crash;
        return;
      }
      const r = flags.dryRun ? await listFaultlineResources(flags.run) : await cleanDocker(flags.run);
      const verb = flags.dryRun ? 'would remove' : 'removed';
      process.stdout.write(
        `${verb} ${r.containers.length} container(s)${r.containers.length ? `: ${r.containers.join(' ')}` : ''}\n` +
          `${verb} ${r.networks.length} network(s)${r.networks.length ? `: ${r.networks.join(' ')}` : ''}\n`,
      );
    });
}
