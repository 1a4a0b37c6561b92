/**
 * Each target up in real containers, healthy, usable, and torn down leaving nothing; the
 * runtime's faults on real nodes. Skips (saying why) only when no Docker engine answers.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { probe } from '../src/clients/http.js';
import { clientFor } from '../src/clients/index.js';
import { respCommand } from '../src/clients/resp.js';
import type { Cluster } from '../src/runtime/cluster.js';
import { cleanDocker, listFaultlineResources } from '../src/runtime/docker/clean.js';
import { createDockerCluster, newRunId } from '../src/runtime/docker/cluster.js';
import { docker, engineStatus, LABEL_RUN } from '../src/runtime/docker/engine.js';
import { targetByName } from '../src/targets/index.js';

const engine = await engineStatus();
if (!engine.ok) console.warn(`SKIPPING Docker target tests: ${engine.reason}`);

const created: Cluster[] = [];
afterAll(async () => {
  await Promise.allSettled(created.map((c) => c.destroy()));
});

async function up(target: string, topology: string, targetOptions: Record<string, unknown> = {}) {
  const t = targetByName(target);
  const cluster = await createDockerCluster({
    target: t,
    targetOptions: { runId: newRunId(), topology, ...targetOptions },
  });
  created.push(cluster);
  return cluster;
}

async function leftovers(runId: string) {
  const filters = { label: [`${LABEL_RUN}=${runId}`] };
  const containers = await docker().listContainers({ all: true, filters });
  const networks = await docker().listNetworks({ filters });
  return containers.length + networks.length;
}

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not within ${timeoutMs} ms: ${what}`);
}

describe.skipIf(!engine.ok)('targets in Docker', () => {
  const cases: [string, string][] = [
    ['etcd', 'cluster'],
    ['redis', 'single'],
    ['redis', 'replicas'],
    ['redis', 'sentinel'],
    ['kvstore', 'leaderless'],
  ];
  for (const [target, topology] of cases) {
    it(`${target} (${topology}) comes up healthy, serves, and is torn down leaving nothing`, async () => {
      const cluster = await up(target, topology);
      const expected = target === 'redis' && topology === 'single' ? 1 : 3;
      expect(cluster.nodes).toHaveLength(expected);
      for (const n of cluster.nodes) expect(await cluster.ready(n.name)).toBe(true);
      const client = await clientFor(target)(cluster, 1, { timeoutMs: 2000 });
      expect(await client.invoke({ f: 'write', key: 'k', value: 1 })).toEqual({ type: 'ok', value: 1 });
      expect(await client.invoke({ f: 'cas', key: 'k', value: [1, 2] })).toEqual({
        type: 'ok',
        value: [1, 2],
      });
      expect(await client.invoke({ f: 'read', key: 'k', value: null })).toEqual({ type: 'ok', value: 2 });
      await client.close();
      expect(await leftovers(cluster.runId)).toBeGreaterThan(0);
      const t0 = performance.now();
      await cluster.destroy();
      expect(performance.now() - t0).toBeLessThan(10_000);
      expect(await leftovers(cluster.runId)).toBe(0);
      await cluster.destroy(); // idempotent
    });
  }

  it('a user-named image runs as is: kill/start as container restarts, network faults refused', async () => {
    // Stand-in for an official image: redis-server and its libraries on a bare root (no /usr mount).
    const image = 'faultline-test-custom-redis:1';
    const build = spawnSync(
      'bash',
      [
        '-euc',
        `d=$(mktemp -d); mkdir -p $d/usr/local/bin $d/data $d/tmp; cp -L /usr/bin/redis-server $d/usr/local/bin/
         for lib in $(ldd /usr/bin/redis-server | grep -o '/[^ ]*'); do mkdir -p $d$(dirname $lib); cp -L $lib $d$lib; done
         tar -C $d -c . | docker import - ${image} >/dev/null; rm -rf $d`,
      ],
      { encoding: 'utf8' },
    );
    expect(build.stderr).toBe('');
    try {
      const custom = await createDockerCluster({
        target: targetByName('redis'),
        targetOptions: { runId: newRunId(), topology: 'single' },
        image,
      });
      created.push(custom);
      expect(custom.info.image).toBe(image);
      expect(custom.faults.partition).toMatchObject({
        supported: false,
        reason: expect.stringMatching(/faultline-base/),
      });
      expect(custom.faults.kill).toEqual({ supported: true });
      const client = await clientFor('redis')(custom, 0, { timeoutMs: 1000 });
      expect(await client.invoke({ f: 'write', key: 'c', value: 1 })).toMatchObject({ type: 'ok' });
      await custom.kill('n1');
      expect(await custom.ready('n1')).toBe(false);
      await custom.start('n1');
      await eventually('redis back after a container restart', () => custom.ready('n1'));
      await client.close();
      await custom.destroy();
      expect(await leftovers(custom.runId)).toBe(0);
      await expect(
        createDockerCluster({
          target: targetByName('redis'),
          targetOptions: { runId: newRunId(), topology: 'sentinel' },
          image,
        }),
      ).rejects.toThrow(/needs the faultline-base image/);
    } finally {
      await docker()
        .getImage(image)
        .remove({ force: true })
        .catch(() => {});
    }
  });

  it('faultline clean removes what a crashed run left (its run only)', async () => {
    const left = await up('redis', 'single');
    const other = await up('redis', 'single');
    expect((await listFaultlineResources(left.runId)).containers).toEqual([`faultline-${left.runId}-n1`]);
    const removed = await cleanDocker(left.runId);
    expect(removed).toEqual({
      containers: [`faultline-${left.runId}-n1`],
      networks: [`faultline-${left.runId}`],
    });
    expect(await leftovers(left.runId)).toBe(0);
    expect(await leftovers(other.runId)).toBe(2);
    await other.destroy();
  });

  it('etcd: kill/start in place, partition, pause, loss; clock refused by name', async () => {
    const cluster = await up('etcd', 'cluster');
    expect(cluster.faults.clock).toMatchObject({ supported: false });
    await expect(cluster.clock('n1', { kind: 'offset', seconds: 60 })).rejects.toThrow(/clock.*vDSO/);

    await cluster.kill('n3');
    expect(await cluster.ready('n3')).toBe(false);
    await cluster.start('n3');
    await eventually('n3 back after restart', () => cluster.ready('n3'));
    expect(await cluster.logs('n3')).toMatch(/database killed/);

    // Isolate n1: it loses its leader and stops answering /health; the majority goes on.
    await cluster.partition({ n1: ['n2', 'n3'], n2: ['n1'], n3: ['n1'] });
    await eventually('n1 sees no leader', async () => !(await cluster.ready('n1')));
    // If n1 led, the majority elects a new leader first.
    await eventually('the majority has a leader', () => cluster.ready('n2'));
    await cluster.heal();
    await eventually('n1 healthy after heal', () => cluster.ready('n1'));

    await cluster.pause('n2');
    const n2 = cluster.nodes.find((n) => n.name === 'n2')!;
    expect(await probe(`http://${n2.host}:2379/health`, 300)).toBe(false);
    await cluster.resume('n2');
    await eventually('n2 answers after resume', () => cluster.ready('n2'));

    await cluster.netem('n3', { lossPercent: 100 });
    expect(await cluster.ready('n3')).toBe(false);
    await cluster.healAll();
    await eventually('n3 answers after healAll', () => cluster.ready('n3'));
    await cluster.destroy();
    expect(await leftovers(cluster.runId)).toBe(0);
  });

  it('kvstore: a clock bump through libfaketime makes last-write-wins drop a newer write', async () => {
    const cluster = await up('kvstore', 'leaderless');
    expect(cluster.faults.clock).toEqual({ supported: true });
    const [n1, n2] = cluster.nodes;
    const nodeTime = async (host: string) =>
      ((await (await fetch(`http://${host}:8000/health`)).json()) as { time: number }).time;
    expect(Math.abs((await nodeTime(n1!.host)) - Date.now())).toBeLessThan(5_000);
    await cluster.clock('n1', { kind: 'offset', seconds: 3600 });
    expect((await nodeTime(n1!.host)) - Date.now()).toBeGreaterThan(3500_000);
    expect(Math.abs((await nodeTime(n2!.host)) - Date.now())).toBeLessThan(5_000);

    const open = clientFor('kvstore');
    const c1 = await open(cluster, 0, { timeoutMs: 2000 }); // talks to n1
    const c2 = await open(cluster, 1, { timeoutMs: 2000 }); // talks to n2
    expect(await c1.invoke({ f: 'write', key: 'lww', value: 1 })).toMatchObject({ type: 'ok' });
    expect(await c2.invoke({ f: 'write', key: 'lww', value: 2 })).toMatchObject({ type: 'ok' });
    // The later write, acknowledged, is lost: n1 stamped its write an hour in the future.
    expect(await c2.invoke({ f: 'read', key: 'lww', value: null })).toEqual({ type: 'ok', value: 1 });

    await cluster.healAll();
    expect(Math.abs((await nodeTime(n1!.host)) - Date.now())).toBeLessThan(5_000);
    await c1.close();
    await c2.close();
    await cluster.destroy();
  });

  it('redis: clock faults refused unless asked for; asked for, a bump skews TIME and expires keys, redis keeps serving', async () => {
    const plain = await up('redis', 'single');
    expect(plain.faults.clock).toMatchObject({
      supported: false,
      reason: expect.stringMatching(/libfaketime/),
    });
    await plain.destroy();

    const cluster = await up('redis', 'single', { faults: ['clock'] });
    expect(cluster.faults.clock).toEqual({ supported: true });
    expect(cluster.info.fakeClock).toMatch(/jemalloc stand-in/);
    const n1 = cluster.nodes[0]!;
    const serverTime = async () => {
      const [, , secs] = (await respCommand(n1.host, 6379, ['TIME'])).split('\r\n');
      return Number(secs) * 1000;
    };
    expect(Math.abs((await serverTime()) - Date.now())).toBeLessThan(5_000);
    // The database runs on faultline's jemalloc stand-in (allocation by glibc), not jemalloc.
    expect(await cluster.logs('n1')).not.toMatch(/Unexpected recursive calls/);
    const client = await clientFor('redis')(cluster, 0, { timeoutMs: 2000 });
    expect(await respCommand(n1.host, 6379, ['SET', 'ttl', 'x', 'EX', '600'])).toBe('+OK\r\n');

    await cluster.clock('n1', { kind: 'offset', seconds: 3600 });
    expect((await serverTime()) - Date.now()).toBeGreaterThan(3_500_000);
    // Ten minutes to live, an hour later by the node's clock: gone.
    expect(await respCommand(n1.host, 6379, ['GET', 'ttl'])).toBe('$-1\r\n');
    expect(await client.invoke({ f: 'write', key: 'k', value: 1 })).toEqual({ type: 'ok', value: 1 });
    expect(await client.invoke({ f: 'cas', key: 'k', value: [1, 2] })).toMatchObject({ type: 'ok' });
    expect(await client.invoke({ f: 'read', key: 'k', value: null })).toEqual({ type: 'ok', value: 2 });

    await cluster.clock('n1', { kind: 'offset', seconds: -300 });
    expect((await serverTime()) - Date.now()).toBeLessThan(-250_000);
    await cluster.healAll();
    expect(Math.abs((await serverTime()) - Date.now())).toBeLessThan(5_000);
    expect(await client.invoke({ f: 'read', key: 'k', value: null })).toEqual({ type: 'ok', value: 2 });
    await client.close();
    await cluster.destroy();
    expect(await leftovers(cluster.runId)).toBe(0);
  });

  it('redis sentinel: after the primary dies, sentinels fail over and the client follows', async () => {
    const cluster = await up('redis', 'sentinel', { sentinelDownAfterMs: 1000 });
    const client = await clientFor('redis')(cluster, 0, { timeoutMs: 1000 });
    expect(await client.invoke({ f: 'write', key: 'f', value: 1 })).toMatchObject({ type: 'ok' });
    expect(client.node).toBe('n1');
    await cluster.kill('n1');
    await eventually(
      'a write succeeds on a new primary',
      async () => (await client.invoke({ f: 'write', key: 'f', value: 2 })).type === 'ok',
      30_000,
    );
    expect(['n2', 'n3']).toContain(client.node);
    await client.close();
    await cluster.destroy();
  }, 60_000);
});
