/** `faultline report DIR...` renders run reports; `faultline serve [DIR]` shows them on loopback. */
import { dirname, resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { ServeError, serveReports } from '../report/serve.js';
import { writeRunReport, writeRunsIndex } from '../report/write.js';
import { UsageError } from './exit.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description(
      'Render reports/<run>/index.html for run directories, and the reports/index.html of all runs',
    )
    .argument('<dirs...>', 'run directories (each with history.jsonl, run.json, results.json)')
    .action(async (dirs: string[]) => {
      const parents = new Set<string>();
      for (const dir of dirs) {
        process.stdout.write(`${await writeRunReport(dir)}\n`);
        parents.add(dirname(resolve(dir)));
      }
      for (const parent of parents) process.stdout.write(`${writeRunsIndex(parent)}\n`);
    });

  program
    .command('serve')
    .description(
      'Serve the reports directory over HTTP on 127.0.0.1: its regular files only, to requests for localhost only',
    )
    .argument('[dir]', 'reports directory', 'reports')
    .option(
      '--port <port>',
      'TCP port (0 picks a free one)',
      (v: string) => {
        const port = Number(v);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw new InvalidArgumentError('expected a port number');
        return port;
      },
      8080,
    )
    .action(async (dir: string, flags: { port: number }) => {
      // Nothing is written into the folder: the list of runs is made on each request.
      try {
        const { url, root } = await serveReports(dir, flags.port);
        process.stdout.write(`serving ${root} at ${url} (Ctrl-C to stop)\n`);
      } catch (e) {
        throw e instanceof ServeError ? new UsageError(e.message) : e;
      }
    });
}
