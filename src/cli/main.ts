#!/usr/bin/env node
/** The `faultline` command. Each subcommand lives in its own module and registers itself here. */
import { Command } from 'commander';
import { terminalText } from '../history/errors.js';
import { registerCampaign } from './campaign.js';
import { registerCheck } from './check.js';
import { registerClean } from './clean.js';
import { exitOnError } from './exit.js';
import { registerExport } from './export.js';
import { registerRecheck } from './recheck.js';
import { registerReport } from './report.js';
import { registerRun } from './run.js';

const program = new Command('faultline')
  .description(
    'Jepsen-style consistency checker and fault-injection harness.\n' +
      'Runs real clusters under faults, records histories, checks linearizability and causal consistency.',
  )
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerCheck(program);
registerExport(program);
registerRun(program);
registerClean(program);
registerReport(program);
registerCampaign(program);
registerRecheck(program);
// commander's own messages quote what the user typed: escape it, as every other error line is.
const output = { outputError: (text: string, write: (s: string) => void) => write(terminalText(text)) };
program.configureOutput(output);
for (const command of program.commands) command.exitOverride().configureOutput(output);

program.parseAsync(process.argv).catch(exitOnError);
