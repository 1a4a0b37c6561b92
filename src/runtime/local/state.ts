/**
 * What the local runtime leaves on disk while a run is up, so nothing outlives it:
 *
 *   <state>/<run>.json  the run's owner (harness pid and start time) and every process group
 *                       it started (node, pid = pgid, start time), rewritten at each spawn;
 *   <state>/<run>/      the run's control files (libfaketime offsets).
 *
 * <state> is `$TMPDIR/faultline-local-<uid>` (mode 0700). The watchdog (one small detached
 * Node process per harness process, no dependencies) polls the harness; once it is gone
 * (`kill -9` included) it kills every group its run files list and removes them.
 * `faultline clean` does the same for runs whose harness is gone (or for one run by id).
 * A group is only signalled when its leader is gone or still has the recorded start time, so
 * a recycled pid is never hit.
 */

import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processStartTime, spawnDetached } from '../process.js';

export function stateDir(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const dir = process.env.FAULTLINE_LOCAL_STATE ?? join(tmpdir(), `faultline-local-${uid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export interface RecordedProcess {
  node: string;
  kind: 'db' | 'sidecar';
  /** pid and process group id (each node process leads its own group). */
  pid: number;
  start?: string;
}

export interface RunFile {
  runId: string;
  owner: { pid: number; start?: string };
  logDir: string;
  processes: RecordedProcess[];
}

const runFilePath = (runId: string) => join(stateDir(), `${runId}.json`);
export const controlDir = (runId: string) => join(stateDir(), runId);

export function writeRunFile(run: RunFile): void {
  const path = runFilePath(run.runId);
  writeFileSync(`${path}.tmp`, JSON.stringify(run));
  renameSync(`${path}.tmp`, path);
}

export function removeRunFiles(runId: string): void {
  rmSync(runFilePath(runId), { force: true });
  rmSync(controlDir(runId), { recursive: true, force: true });
}

export function readRunFiles(): RunFile[] {
  const dir = stateDir();
  const out: RunFile[] = [];
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.json')) continue;
    try {
      out.push(JSON.parse(readFileSync(join(dir, f), 'utf8')) as RunFile);
    } catch {
      // Half-written or foreign: skipped.
    }
  }
  return out;
}

/** Whether a process with this pid (and start time, when known) still runs. */
export function alive(pid: number, start?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (f[0] === 'Z' || f[0] === 'X') return false;
    if (start && f[19] !== start) return false;
  } catch {
    return false;
  }
  return true;
}

/** Whether any process is in this group. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILLs a recorded group unless its leader's pid now belongs to someone else. */
export function killGroup(p: RecordedProcess): boolean {
  const start = processStartTime(p.pid);
  if (start !== undefined && p.start !== undefined && start !== p.start) return false;
  try {
    process.kill(-p.pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}

/**
 * Ends the processes of runs whose harness is gone (all of them, or one run's whatever its
 * harness's state) and removes their files; names what it ended.
 */
export function cleanLocal(options: { runId?: string; dryRun?: boolean } = {}): string[] {
  const out: string[] = [];
  for (const run of readRunFiles()) {
    if (options.runId !== undefined && run.runId !== options.runId) continue;
    const ownerAlive = alive(run.owner.pid, run.owner.start);
    if (options.runId === undefined && ownerAlive && run.owner.pid !== process.pid) continue;
    for (const p of run.processes) {
      const running = groupAlive(p.pid);
      if (!running) continue;
      if (options.dryRun || killGroup(p)) out.push(`local ${run.runId} ${p.node} ${p.kind} (pgid ${p.pid})`);
    }
    if (!options.dryRun) removeRunFiles(run.runId);
    else if (!out.some((o) => o.startsWith(`local ${run.runId} `)))
      out.push(`local ${run.runId} (run file only)`);
  }
  return out;
}

/**
 * The watchdog's program (CommonJS, Node built-ins only), run as `node -e WATCHDOG <config>`:
 * waits for its harness to end, then kills what the harness's run files list.
 */
export const WATCHDOG_SCRIPT = `
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const cfg = JSON.parse(process.argv[1]);
process.title = 'faultline-watchdog';
function startOf(pid) {
  try { const s = fs.readFileSync('/proc/' + pid + '/stat', 'utf8'); return s.slice(s.lastIndexOf(')') + 2).split(' ')[19]; } catch { return undefined; }
}
function alive() {
  try { process.kill(cfg.pid, 0); } catch (e) { if (e.code === 'ESRCH') return false; }
  try {
    const s = fs.readFileSync('/proc/' + cfg.pid + '/stat', 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    if (f[0] === 'Z' || f[0] === 'X') return false;
    if (cfg.start && f[19] !== cfg.start) return false;
  } catch { return false; }
  return true;
}
function reap() {
  let files = [];
  try { files = fs.readdirSync(cfg.dir).filter((f) => f.endsWith('.json')); } catch {}
  for (const f of files) {
    let run;
    try { run = JSON.parse(fs.readFileSync(path.join(cfg.dir, f), 'utf8')); } catch { continue; }
    if (!run.owner || run.owner.pid !== cfg.pid || run.owner.start !== cfg.start) continue;
    for (const p of run.processes || []) {
      const s = startOf(p.pid);
      if (s !== undefined && p.start !== undefined && s !== p.start) continue;
      try { process.kill(-p.pid, 'SIGKILL'); } catch {}
    }
    try { fs.rmSync(path.join(cfg.dir, f), { force: true }); } catch {}
    try { fs.rmSync(path.join(cfg.dir, run.runId), { recursive: true, force: true }); } catch {}
  }
}
const timer = setInterval(() => { if (!alive()) { clearInterval(timer); reap(); process.exit(0); } }, cfg.pollMs);
`;

let watchdog: number | undefined;

/** Starts this process's watchdog unless it runs already; returns its pid. */
export function ensureWatchdog(
  pollMs = Number(process.env.FAULTLINE_WATCHDOG_POLL_MS ?? 250),
): number | undefined {
  // Off only for tests of `faultline clean` (what a harness killed with no watchdog leaves).
  if (process.env.FAULTLINE_LOCAL_WATCHDOG === '0') return undefined;
  if (watchdog !== undefined && alive(watchdog)) return watchdog;
  const config = { pid: process.pid, start: processStartTime(process.pid), dir: stateDir(), pollMs };
  const pid = spawnDetached(WATCHDOG_SCRIPT, config, 'the local runtime watchdog');
  watchdog = pid;
  return pid;
}
