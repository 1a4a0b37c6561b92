/** Runs the built `faultline` binary (dist/, built by the global setup) as a user would. */
import { execa } from 'execa';

export const BIN = 'dist/src/cli/main.js';

export async function faultline(...args: string[]) {
  const r = await execa('node', [BIN, ...args], { reject: false, timeout: 120_000 });
  return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}
