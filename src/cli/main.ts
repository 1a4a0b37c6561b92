#!/usr/bin/env node
/**
 * The `faultline` command. Each subcommand lives in its own module and registers itself here.
 * Only the module of the subcommand named on the command line is loaded: `check` must not pay
 * for Docker, SSH and Redis clients it never uses (their loading was seconds of start-up).
 * Anything else (no command, `--help`, `help`, a misspelt name) loads them all, so help lists
 * every command and commander can suggest the nearest name.
 */
import { Command } from 'commander';
import { terminalText } from '../history/errors.js';
import { exitOnError } from './exit.js';

type Register = (program: Command) => void;

/** In the order `faultline --help` lists them. */
const COMMANDS: Record<string, () => Promise<Register>> = {
  check: async () => (await import('./check.js')).registerCheck,
  export: async () => (await import('./export.js')).registerExport,
  run: async () => (await import('./run.js')).registerRun,
  clean: async () => (await import('./clean.js')).registerClean,
  report: async () => (await import('./report.js')).registerReport,
  campaign: async () => (await import('./campaign.js')).registerCampaign,
  recheck: async () => (await import('./recheck.js')).registerRecheck,
};

/** The subcommands to load: the one named first on the command line, else all. */
function wanted(argv: readonly string[]): string[] {
  const first = argv[2];
  return first !== undefined && Object.hasOwn(COMMANDS, first) ? [first] : Object.keys(COMMANDS);
}

async function main(): Promise<void> {
  const program = new Command('faultline')
    .description(
      'Jepsen-style consistency checker and fault-injection harness.\n' +
        'Runs real clusters under faults, records histories, checks linearizability and causal consistency.',
    )
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const registers = await Promise.all(wanted(process.argv).map((name) => COMMANDS[name]!()));
  for (const register of registers) register(program);
  // commander's own messages quote what the user typed: escape it, as every other error line is.
  const output = { outputError: (text: string, write: (s: string) => void) => write(terminalText(text)) };
  program.configureOutput(output);
  for (const command of program.commands) command.exitOverride().configureOutput(output);
  await program.parseAsync(process.argv);
}

main().catch(exitOnError);
