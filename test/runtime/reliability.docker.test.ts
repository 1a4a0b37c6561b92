/**
 * Reliability of the Docker runtime (issue 10): a node frozen with a `docker exec` half set up
 * inside it blocks the engine's calls on that container (unpause, inspect, kill, remove) until
 * its cgroup is thawed; heal and stop must still end, within a bound. And after `kill -9` of
 * the harness, the watchdog removes the run's containers and network.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../../src/runtime/cluster.js';
import {
  bounded,
  DockerTimeoutError,
  docker,
  engineStatus,
  LABEL_RUN,
} from '../../src/runtime/docker/engine.js';
import { STOP_ALL_DEADLINE_MS, stopAll } from '../../src/runtime/docker/index.js';
import { created, eventually, leftovers, up } from './docker-helpers.js';

const engine = await engineStatus();
if (!engine.ok) console.warn(`SKIPPING reliability tests: ${engine.reason}`);

afterAll(async () => {
  await Promise.allSettled(created.map((c) => c.stop()));
});

async function nodeContainer(cluster: Cluster, node: string) {
  const [c] = await docker().listContainers({
    all: true,
    filters: { label: [`${LABEL_RUN}=${cluster.runId}`, `faultline.node=${node}`, 'faultline.role=node'] },
  });
  return docker().getContainer(c!.Id);
}

const exited = (child: ChildProcess) =>
  new Promise((r) =>
    child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r),
  );

/**
 * Pauses `node` just as a `docker exec` into it is being set up, until the engine stops
 * answering for the container (its `runc init` frozen while holding the container's lock):
 * the state a user's debugging exec left a run in (issue 10). Returns the exec's process.
 */
async function freezeWithExec(
  cluster: Cluster,
  node: string,
): Promise<{ exec: ChildProcess; tries: number }> {
  const container = await nodeContainer(cluster, node);
  for (let tries = 1; tries <= 80; tries++) {
    const exec = spawn('docker', ['exec', container.id, 'true'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 60)));
    await cluster.pause(node).catch(() => {});
    const stuck = await bounded('inspect', (abortSignal) => container.inspect({ abortSignal }), 1500).then(
      () => false,
      (e) => e instanceof DockerTimeoutError,
    );
    if (stuck) return { exec, tries };
    await cluster.resume(node);
    await exited(exec);
  }
  throw new Error('could not catch a docker exec mid-setup in 80 tries');
}

describe.skipIf(!engine.ok)('a frozen node', () => {
  it('heal and stop finish within a bound while the engine blocks on it', async () => {
    const { cluster } = await up('redis', 'replicas');
    const { exec, tries } = await freezeWithExec(cluster, 'n2');
    // The engine really is stuck on n2: a plain unpause does not come back.
    const container = await nodeContainer(cluster, 'n2');
    await expect(
      bounded('unpause', (abortSignal) => container.unpause({ abortSignal }), 2000),
    ).rejects.toBeInstanceOf(DockerTimeoutError);

    let t0 = performance.now();
    await cluster.healAll();
    const healMs = performance.now() - t0;
    await eventually('n2 ready after healAll', () => cluster.ready('n2'), 30_000);
    await exited(exec);

    // Frozen again, then stopped outright.
    const again = await freezeWithExec(cluster, 'n3');
    t0 = performance.now();
    await cluster.stop();
    const stopMs = performance.now() - t0;
    expect(await leftovers(cluster.runId)).toBe(0);
    console.log(
      `frozen exec caught after ${tries} and ${again.tries} tries; healAll ${Math.round(healMs)} ms, stop ${Math.round(stopMs)} ms`,
    );
    expect(healMs).toBeLessThan(15_000);
    expect(stopMs).toBeLessThan(15_000);
  }, 180_000);

  it('stopAll is bounded with a frozen node', async () => {
    const { cluster } = await up('redis', 'single');
    await freezeWithExec(cluster, 'n1');
    const t0 = performance.now();
    await stopAll();
    const ms = performance.now() - t0;
    console.log(`stopAll with a frozen node: ${Math.round(ms)} ms`);
    expect(ms).toBeLessThan(STOP_ALL_DEADLINE_MS + 1000);
    await eventually('nothing left', async () => (await leftovers(cluster.runId)) === 0, 30_000);
  }, 180_000);
});

describe.skipIf(!engine.ok)('the watchdog', () => {
  it('removes the cluster of a harness killed with SIGKILL (a paused node among it)', async () => {
    // The harness runs as its own Node process, bundled from the TypeScript sources.
    const esbuild = await import('esbuild');
    const dir = join(process.cwd(), 'node_modules', '.cache', 'faultline-test');
    mkdirSync(dir, { recursive: true });
    const outfile = join(dir, `harness-${process.pid}.mjs`);
    await esbuild.build({
      entryPoints: [join(import.meta.dirname, 'fixtures', 'harness.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      outfile,
      logLevel: 'silent',
    });
    const harness = spawn(process.execPath, [outfile, 'redis', 'replicas', 'n2'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    harness.stderr!.on('data', (c) => {
      stderr += c;
    });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: harness.stdout! }).once('line', resolve);
      harness.once('exit', (code) => reject(new Error(`harness exited (${code}): ${stderr}`)));
    });
    const { runId, reaper } = JSON.parse(line) as { runId: string; reaper: number };
    expect(await leftovers(runId)).toBe(7); // 3 nodes, 3 sidecars, 1 network

    const t0 = performance.now();
    harness.kill('SIGKILL');
    await eventually('nothing of the run left', async () => (await leftovers(runId)) === 0, 60_000);
    const goneMs = performance.now() - t0;
    const reaperGone = () => {
      try {
        const state = readFileSync(`/proc/${reaper}/stat`, 'utf8').split(') ')[1]?.[0];
        return state === 'Z' || state === 'X';
      } catch {
        return true;
      }
    };
    await eventually('the reaper exits', async () => reaperGone(), 10_000);
    console.log(`after kill -9: last resource gone in ${(goneMs / 1000).toFixed(1)} s`);
    expect(goneMs).toBeLessThan(60_000);
  }, 120_000);
});
