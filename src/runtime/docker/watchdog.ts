/**
 * The watchdog: a run's containers do not outlive the harness for long, even after `kill -9`.
 *
 * Every container, network and volume the Docker runtime creates carries the owner label
 * `faultline.owner=<host>:<pid>:<start time>` of the process that created it. The first
 * `allocate` of a process spawns one reaper: a small detached Node process (its own session,
 * no stdio, no Docker socket inside any container) that polls whether that process still
 * exists, and once it is gone removes everything labelled with its owner id and the process's
 * scratch directory, then exits. A harness that stopped its clusters leaves nothing, and the
 * reaper just exits. The reaper talks to the engine's HTTP API directly (no dependencies), and
 * thaws a container's cgroup before removing it (see cgroup.ts).
 */

import { mkdirSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { processStartTime, spawnDetached } from '../process.js';
import { connectionOptions, DOCKER_API_VERSION } from './engine.js';

export const LABEL_OWNER = 'faultline.owner';

const start = processStartTime(process.pid) ?? String(Date.now());
/** The owner id of this process: what the reaper removes once the process is gone. */
export const OWNER_ID = `${hostname()}:${process.pid}:${start}`;

/** This process's scratch directory (clock files): removed by the reaper too. */
export function scratchDir(): string {
  const dir = join(tmpdir(), `faultline-${process.pid}-${start}`);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  return dir;
}

export interface ReaperConfig {
  pid: number;
  start?: string;
  owner: string;
  api: string;
  connection: { socketPath: string } | { host: string; port: number };
  dirs: string[];
  pollMs: number;
  /** How long to keep trying to remove what is left once the owner is gone. */
  giveUpMs: number;
}

/**
 * The reaper's program (CommonJS, Node built-ins only), run as `node -e REAPER <config json>`.
 * Plain JavaScript in a string so it runs the same from the TypeScript sources and from dist/.
 */
export const REAPER_SCRIPT = `
'use strict';
const http = require('node:http');
const fs = require('node:fs');
const cfg = JSON.parse(process.argv[1]);
process.title = 'faultline-reaper';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function alive() {
  try { process.kill(cfg.pid, 0); } catch (e) { if (e.code === 'ESRCH') return false; }
  try {
    const stat = fs.readFileSync('/proc/' + cfg.pid + '/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (f[0] === 'Z' || f[0] === 'X') return false;
    if (cfg.start && f[19] !== cfg.start) return false;
  } catch (e) { if (e.code === 'ENOENT') return false; }
  return true;
}
function api(method, path) {
  return new Promise((resolve) => {
    const req = http.request({ ...cfg.connection, path: '/' + cfg.api + path, method, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', () => resolve({ status: 0, body: '' }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}
function thaw(id) {
  const root = '/sys/fs/cgroup';
  const v2 = fs.existsSync(root + '/cgroup.controllers');
  const base = v2 ? root : root + '/freezer';
  for (const dir of [base + '/docker/' + id, base + '/system.slice/docker-' + id + '.scope']) {
    try { fs.writeFileSync(dir + (v2 ? '/cgroup.freeze' : '/freezer.state'), v2 ? '0' : 'THAWED'); } catch {}
  }
}
async function listed(path) {
  const r = await api('GET', path);
  if (r.status !== 200) return undefined;
  try { return JSON.parse(r.body); } catch { return undefined; }
}
async function reap() {
  const filters = encodeURIComponent(JSON.stringify({ label: ['faultline.owner=' + cfg.owner] }));
  const containers = await listed('/containers/json?all=1&filters=' + filters);
  const networks = await listed('/networks?filters=' + filters);
  const volumes = await listed('/volumes?filters=' + filters);
  if (!containers || !networks || !volumes) return false;
  const sidecar = (c) => (c.Labels || {})['faultline.role'] === 'net';
  for (const phase of [true, false]) {
    await Promise.all(containers.filter((c) => sidecar(c) === phase).map(async (c) => {
      thaw(c.Id);
      await api('DELETE', '/containers/' + c.Id + '?force=1&v=1');
    }));
  }
  await Promise.all(networks.map((n) => api('DELETE', '/networks/' + n.Id)));
  await Promise.all((volumes.Volumes || []).map((v) => api('DELETE', '/volumes/' + encodeURIComponent(v.Name) + '?force=1')));
  return containers.length + networks.length + (volumes.Volumes || []).length === 0;
}
(async () => {
  while (alive()) await sleep(cfg.pollMs);
  const deadline = Date.now() + cfg.giveUpMs;
  while (!(await reap()) && Date.now() < deadline) await sleep(500);
  for (const dir of cfg.dirs) { try { fs.rmSync(dir, { recursive: true, force: true }); } catch {} }
  process.exit(0);
})();
`;

let reaper: { pid: number } | undefined;

/** Starts this process's reaper unless it runs already; returns its pid. */
export function ensureReaper(options: { pollMs?: number } = {}): number {
  if (reaper && isRunning(reaper.pid)) return reaper.pid;
  const config: ReaperConfig = {
    pid: process.pid,
    start: processStartTime(process.pid),
    owner: OWNER_ID,
    api: DOCKER_API_VERSION,
    connection: connectionOptions(),
    dirs: [scratchDir()],
    pollMs: options.pollMs ?? Number(process.env.FAULTLINE_REAPER_POLL_MS ?? 500),
    giveUpMs: 5 * 60_000,
  };
  const pid = spawnDetached(REAPER_SCRIPT, config, 'the watchdog process');
  reaper = { pid };
  return pid;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
