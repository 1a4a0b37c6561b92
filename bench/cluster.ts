/**
 * Cluster benchmarks (need a Docker engine; print figures, never pass/fail):
 *   1. time to bring a 3-node etcd cluster up (all members healthy) and down (all removed);
 *   2. harness overhead: operations per second that `faultline run` records against single
 *      Redis with 10 workers, versus a bare ioredis loop with the same concurrency and mix.
 * Run: `node dist/bench/cluster.js` (after `npm run build`), or import { main }.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRng } from '../src/runner/rng.js';
import { run } from '../src/runner/run.js';
import { launch } from '../src/runner/start.js';
import { engineStatus } from '../src/runtime/docker/engine.js';
import { RUNTIMES } from '../src/runtime/registry.js';
import { etcdTarget } from '../src/targets/etcd/index.js';
import { redisTarget } from '../src/targets/redis/index.js';
import { registerGenerator, registerOptionsSchema, registerWorkload } from '../workloads/register.js';

const docker = () => RUNTIMES.docker!.create({});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function etcdUpDown(rounds = 3): Promise<{ upMs: number[]; downMs: number[] }> {
  const upMs: number[] = [];
  const downMs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const cluster = await launch(docker(), etcdTarget);
    const t1 = performance.now();
    await cluster.stop();
    const t2 = performance.now();
    upMs.push(t1 - t0);
    downMs.push(t2 - t1);
  }
  return { upMs, downMs };
}

/** A bare loop: N ioredis clients issuing the register workload's operations, nothing recorded. */
export async function bareRedisLoop(concurrency: number, seconds: number): Promise<number> {
  const cluster = await launch(docker(), redisTarget, { topology: 'single' });
  try {
    const open = redisTarget.clients.register!;
    const clients = await Promise.all(
      Array.from({ length: concurrency }, (_, worker) =>
        open({
          cluster,
          worker,
          options: redisTarget.options.parse({}),
          topology: 'single',
          timeoutMs: 2000,
        }),
      ),
    );
    const gen = registerGenerator(registerOptionsSchema.parse({}), { concurrency, rng: createRng(1) });
    let done = 0;
    const deadline = performance.now() + seconds * 1000;
    const t0 = performance.now();
    await Promise.all(
      clients.map(async (c, w) => {
        while (performance.now() < deadline) {
          await c.invoke(gen.next(w)!);
          done++;
        }
      }),
    );
    const rate = done / ((performance.now() - t0) / 1000);
    await Promise.all(clients.map((c) => c.close()));
    return rate;
  } finally {
    await cluster.stop();
  }
}

export async function harnessRedis(concurrency: number, seconds: number): Promise<number> {
  const reports = mkdtempSync(join(tmpdir(), 'faultline-bench-'));
  try {
    const r = await run({
      runtime: docker(),
      target: redisTarget,
      topology: 'single',
      workload: registerWorkload,
      concurrency,
      timeLimitS: seconds,
      seed: 1,
      opTimeoutMs: 2000,
      reportsDir: reports,
      check: false,
    });
    return r.opsPerSecond;
  } finally {
    rmSync(reports, { recursive: true, force: true });
  }
}

export async function main(): Promise<void> {
  const engine = await engineStatus();
  if (!engine.ok) {
    console.log(`bench/cluster: skipped (${engine.reason})`);
    return;
  }
  console.log(`bench/cluster: Docker ${engine.version} (API ${engine.apiVersion})`);
  const { upMs, downMs } = await etcdUpDown(3);
  const f = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(2)).join(', ');
  console.log(
    `etcd 3 nodes: up ${(median(upMs) / 1000).toFixed(2)} s median [${f(upMs)}] (target ≤ 5 s); ` +
      `down ${(median(downMs) / 1000).toFixed(2)} s median [${f(downMs)}] (target ≤ 2 s)`,
  );
  const seconds = 5;
  const bare: number[] = [];
  const harness: number[] = [];
  for (let i = 0; i < 2; i++) {
    bare.push(await bareRedisLoop(10, seconds));
    harness.push(await harnessRedis(10, seconds));
  }
  // Best of each: other load on the machine only ever slows a round down.
  const b = Math.max(...bare);
  const h = Math.max(...harness);
  console.log(
    `single Redis, 10 workers, ${seconds} s: harness ${h.toFixed(0)} ops/s recorded (best of [${harness.map((x) => x.toFixed(0)).join(', ')}]), ` +
      `bare ioredis loop ${b.toFixed(0)} ops/s (best of [${bare.map((x) => x.toFixed(0)).join(', ')}]): ratio ${(h / b).toFixed(2)} (target ≥ 0.8)`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
