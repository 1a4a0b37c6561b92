/**
 * A local node's processes: the database (and a companion sidecar) spawned detached, each
 * leading its own process group, so kill and pause act on the group and a node's children go
 * with it. The run file records every process for the watchdog and `faultline clean`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync } from 'node:fs';
import type { NodeSpec } from '../../targets/types.js';
import { processStartTime } from '../process.js';
import type { LocalRun, NodeProc } from './run.js';
import { groupAlive, type RecordedProcess, writeRunFile } from './state.js';

export function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Gone already.
  }
}

/** Signals a child's whole process group (it leads its own: spawned detached). */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid) signalPid(-child.pid, signal);
}

/** The harness's environment, less what its test runner set (a node is no test worker). */
export function nodeBaseEnv(): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _a, VITEST: _b, VITEST_WORKER_ID: _c, VITEST_POOL_ID: _d, ...env } = process.env;
  return env;
}

/** Whether the node's database runs under libfaketime. */
export function fakeClock(run: LocalRun, spec: NodeSpec): boolean {
  const t = run.tools;
  return Boolean(run.faults.clock.supported && spec.fakeClock && t.preload && (!spec.jemallocShim || t.shim));
}

/** Records the run's live processes (pid and start time) for the watchdog and `faultline clean`. */
export function writeRun(run: LocalRun): void {
  writeRunFile({
    runId: run.req.runId,
    owner: { pid: process.pid, start: processStartTime(process.pid) },
    logDir: run.req.logDir,
    processes: [...run.procs.values()].flatMap((p) => {
      const out: RecordedProcess[] = [];
      for (const [kind, c] of [
        ['db', p.db],
        ['sidecar', p.sidecar],
      ] as const) {
        if (c?.pid) out.push({ node: p.spec.name, kind, pid: c.pid, start: run.starts.get(c) });
      }
      return out;
    }),
  });
}

function launchEnv(run: LocalRun, p: NodeProc, kind: 'db' | 'sidecar'): Record<string, string | undefined> {
  const { spec } = p;
  const t = run.tools;
  const env: Record<string, string | undefined> = { ...run.baseEnv, ...spec.env };
  if (kind === 'db' && fakeClock(run, spec)) {
    env.LD_PRELOAD = t.preload;
    env.FAKETIME_TIMESTAMP_FILE = p.clockFile;
    env.FAKETIME_NO_CACHE = '1';
    env.FAKETIME_DONT_FAKE_MONOTONIC = '1';
    if (spec.jemallocShim && t.shim) env.LD_LIBRARY_PATH = t.shim.replace(/\/[^/]+$/, '');
  }
  return env;
}

/** Spawns the node's database or sidecar, its output appended to the node's log. */
export function launch(run: LocalRun, p: NodeProc, kind: 'db' | 'sidecar'): Promise<ChildProcess> {
  const { spec } = p;
  const env = launchEnv(run, p, kind);
  const [file, args] =
    kind === 'db' ? [spec.command[0]!, spec.command.slice(1)] : ['/bin/sh', ['-c', spec.sidecar!]];
  appendFileSync(
    p.log,
    `[faultline] starting ${kind === 'db' ? 'database' : 'sidecar'}: ${[file, ...args].join(' ')}\n`,
  );
  const fd = openSync(p.log, 'a');
  let child: ChildProcess;
  try {
    child = spawn(file, args, { detached: true, stdio: ['ignore', fd, fd], env, cwd: p.slot.dataDir });
  } finally {
    closeSync(fd);
  }
  return new Promise((resolve, reject) => {
    child.once('error', (e) => {
      appendFileSync(p.log, `[faultline] could not start ${file}: ${e.message}\n`);
      reject(new Error(`node ${spec.name}: could not start ${file}: ${e.message}`));
    });
    child.once('spawn', () => {
      run.starts.set(child, processStartTime(child.pid!));
      resolve(child);
    });
  });
}

/** Starts the node's database (paused again at once if the node is paused). */
export async function startDb(run: LocalRun, p: NodeProc): Promise<void> {
  const child = await launch(run, p, 'db');
  p.db = child;
  p.killed = false;
  p.dbExit = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      if (p.db === child) {
        p.db = undefined;
        if (!run.stopped && !p.killed)
          appendFileSync(
            p.log,
            `[faultline] database exited by itself (${signal ?? code}); not restarting\n`,
          );
      }
      resolve();
    });
  });
  if (p.paused) signalGroup(child, 'SIGSTOP');
  writeRun(run);
}

/** Kills the node's database and whatever else its group holds. */
export async function killDb(p: NodeProc): Promise<void> {
  p.killed = true;
  const db = p.db;
  if (!db) return;
  signalGroup(db, 'SIGKILL');
  // Unref'd: a bound on the wait, never a reason for the process to live on after it.
  await Promise.race([p.dbExit, new Promise((r) => setTimeout(r, 5000).unref())]);
  // The group may hold the database's children, which exit later.
  for (let i = 0; i < 100 && groupAlive(db.pid!); i++) {
    signalPid(-db.pid!, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Kills every process of the run, waits (bounded) for their groups to be gone. */
export async function killAll(run: LocalRun): Promise<void> {
  for (const p of run.procs.values()) for (const c of [p.db, p.sidecar]) if (c) signalGroup(c, 'SIGKILL');
  await Promise.race([
    Promise.all([...run.procs.values()].map((p) => p.dbExit)),
    new Promise((r) => setTimeout(r, 5000).unref()),
  ]);
  // Whatever else the groups held (a database's children) goes too.
  const deadline = Date.now() + 3000;
  const groups = [...run.starts.keys()].map((c) => c.pid!).filter((pid) => pid);
  while (groups.some(groupAlive) && Date.now() < deadline) {
    for (const g of groups) if (groupAlive(g)) signalPid(-g, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 20));
  }
}
