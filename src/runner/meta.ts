/**
 * run.json: what was run (target, topology, workload, options, seed, versions), how it went
 * (status, counts, ops/s), written at the start and rewritten at every change of status, so a
 * run that dies leaves its last known state. The final status is written on every path.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cluster } from '../runtime/cluster.js';
import type { Resolved } from './preflight.js';
import type { Counts } from './recorder.js';
import type { FullRunOptions } from './run.js';

export function faultlineVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'faultline') return pkg.version ?? 'unknown';
    } catch {}
    dir = dirname(dir);
  }
  return 'unknown';
}

export function newRunId(): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  return `${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}

export function createRunMeta(dir: string, runId: string, o: FullRunOptions, resolved: Resolved) {
  const meta: Record<string, unknown> = {
    runId,
    target: o.target.name,
    topology: resolved.topology,
    nodes: resolved.nodes,
    workload: o.workload.name,
    runtime: o.runtime.name,
    options: {
      concurrency: o.concurrency,
      rate: o.rate,
      timeLimitS: o.timeLimitS,
      opTimeoutMs: o.opTimeoutMs,
      targetOptions: resolved.targetOptions,
      workloadOptions: resolved.workloadOptions,
      nemesis: o.nemesis ? o.nemesis.describe() : null,
      ...o.describe,
    },
    seed: o.seed,
    versions: { faultline: faultlineVersion(), node: process.version },
    start: new Date().toISOString(),
    end: null,
    status: 'starting',
  };
  const write = () => writeFileSync(join(dir, 'run.json'), `${JSON.stringify(meta, null, 2)}\n`);
  write();
  return {
    started(cluster: Cluster) {
      meta.cluster = cluster.info;
      meta.faults = cluster.faults;
      const versions = (cluster.info.versions as object | undefined) ?? {};
      meta.versions = { ...(meta.versions as object), ...versions };
      meta.status = 'running';
      write();
    },
    crashed(e: Error) {
      meta.status = 'crashed';
      meta.error = e.message;
    },
    finish(counts: Counts, interrupted: boolean, workS: number | undefined) {
      meta.end = new Date().toISOString();
      meta.counts = { ...counts };
      if (o.nemesis) (meta.options as Record<string, unknown>).nemesis = o.nemesis.describe();
      if (workS !== undefined && workS > 0) {
        meta.workloadSeconds = Number(workS.toFixed(3));
        meta.opsPerSecond = Math.round((counts.ok + counts.fail + counts.info) / workS);
      }
      if (meta.status !== 'crashed') meta.status = interrupted ? 'interrupted' : 'completed';
      write();
    },
    opsPerSecond: () => (meta.opsPerSecond as number | undefined) ?? 0,
  };
}
