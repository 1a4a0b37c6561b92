/**
 * Process facts both process-based runtimes need: telling a process from a later one that got
 * its pid, and starting a detached watchdog that outlives the harness (to clean up after it).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A process's start time (clock ticks since boot): tells it from a later one with its pid. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * Runs `script` (plain JavaScript, the config as its one argument) in a detached Node process
 * of its own session, with no stdio, so that it survives the harness; returns its pid.
 */
export function spawnDetached(script: string, config: unknown, what: string): number {
  // NODE_OPTIONS of a test runner (loaders, inspectors) must not follow it.
  const { NODE_OPTIONS: _, ...env } = process.env;
  const child = spawn(process.execPath, ['-e', script, JSON.stringify(config)], {
    detached: true,
    stdio: 'ignore',
    env,
  });
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${what}`);
  return child.pid;
}
