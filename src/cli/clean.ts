/**
 * `faultline clean`: what runs that crashed left behind. Local process groups and Docker
 * containers, networks and volumes (labelled faultline) always; SSH hosts when they are named
 * (`--hosts`, or a config file whose runtime options list them), since faultline keeps no
 * record of remote hosts on this machine.
 */
import type { Command } from 'commander';
import { loadConfigFile } from '../config/load.js';
import { runtimeSection } from '../config/resolve.js';
import type { RunConfig } from '../config/schema.js';
import { engineStatus } from '../runtime/docker/engine.js';
import { dockerRuntime } from '../runtime/docker/index.js';
import { cleanLocal } from '../runtime/local/index.js';
import { createSshRuntime, type SshRuntimeOptions } from '../runtime/ssh/index.js';
import { EXIT } from './exit.js';

interface CleanFlags {
  run?: string;
  dryRun?: boolean;
  hosts?: string;
  user?: string;
  identityFile?: string;
  remoteDir?: string;
  sudo?: boolean;
  config?: string;
}

/** The SSH hosts to clean: the config file's ssh options, overridden by flags; none if neither names hosts. */
async function sshOptionsOf(flags: CleanFlags): Promise<SshRuntimeOptions | undefined> {
  const fromFile = flags.config
    ? (runtimeSection((await loadConfigFile(flags.config)) as RunConfig, 'ssh') ?? {})
    : {};
  const o: Record<string, unknown> = { ...fromFile };
  for (const k of ['hosts', 'user', 'identityFile', 'remoteDir', 'sudo'] as const)
    if (flags[k] !== undefined) o[k] = flags[k];
  // A config for another runtime may carry options the ssh runtime does not take.
  const known = new Set([
    'hosts',
    'nodes',
    'user',
    'identityFile',
    'sudo',
    'remoteDir',
    'connectTimeout',
    'commandTimeout',
    'readyTimeout',
  ]);
  const picked = Object.fromEntries(Object.entries(o).filter(([k]) => known.has(k)));
  return picked.hosts !== undefined || picked.nodes !== undefined ? (picked as SshRuntimeOptions) : undefined;
}

function printed(names: string[], dryRun: boolean | undefined, kinds: [string, boolean][]): string {
  const verb = dryRun ? 'would remove' : 'removed';
  return kinds
    .map(([kind, always]) => {
      const these = names.filter((n) => n.startsWith(`${kind} `)).map((n) => n.slice(kind.length + 1));
      if (!always && these.length === 0) return '';
      return `${verb} ${these.length} ${kind}(s)${these.length ? `: ${these.join(' ')}` : ''}\n`;
    })
    .join('');
}

async function cleanSsh(flags: CleanFlags): Promise<void> {
  const options = await sshOptionsOf(flags);
  if (!options) return;
  const names = await createSshRuntime(options).clean({ runId: flags.run, dryRun: flags.dryRun });
  const verb = flags.dryRun ? 'would remove' : 'removed';
  process.stdout.write(
    `${verb} ${names.length} item(s) on SSH hosts${names.length ? `:\n${names.map((n) => `  ${n}\n`).join('')}` : '\n'}`,
  );
}

export function registerClean(program: Command): void {
  program
    .command('clean')
    .description(
      'remove what crashed runs left: local node processes, Docker containers, networks and volumes (labelled faultline), and, given their hosts, run directories and processes on SSH hosts',
    )
    .option('--run <id>', 'only those of this run')
    .option('--dry-run', 'list what would be removed')
    .option('--hosts <list>', 'also clean these SSH hosts: user@host:port,... (as given to run)')
    .option('--user <name>', 'SSH user where a host names none')
    .option('--identity-file <file>', 'private key file for SSH (default: the agent)')
    .option(
      '--remote-dir <dir>',
      'the run directory on the hosts, if the run set one (default /tmp/faultline)',
    )
    .option('--sudo', 'the run used sudo on the hosts')
    .option('--config <file>', "take the SSH hosts and options from this run config's runtime options")
    .action(async (flags: CleanFlags) => {
      // Local runs first (no engine needed): process groups a dead harness left running.
      const local = cleanLocal({ runId: flags.run, dryRun: flags.dryRun });
      process.stdout.write(
        `${flags.dryRun ? 'would end' : 'ended'} ${local.length} local process group(s)${local.length ? `: ${local.join(', ')}` : ''}\n`,
      );
      let failed = false;
      try {
        await cleanSsh(flags);
      } catch (e) {
        process.stderr.write(`faultline: ${(e as Error).message}\n`);
        failed = true;
      }
      const engine = await engineStatus();
      if (!engine.ok) {
        // No engine, no containers of ours: not a failure of clean on a machine without Docker.
        process.stdout.write(`Docker: nothing to clean (${engine.reason})\n`);
      } else
        try {
          const names = await dockerRuntime.create({}).clean({ runId: flags.run, dryRun: flags.dryRun });
          process.stdout.write(
            printed(names, flags.dryRun, [
              ['container', true],
              ['network', true],
              ['volume', false],
            ]),
          );
        } catch (e) {
          process.stderr.write(`faultline: ${(e as Error).message}\n`);
          failed = true;
        }
      if (failed) process.exitCode = EXIT.crash;
    });
}
