/**
 * Each target up in real containers through the Docker runtime's public API (allocate, the
 * target's deploy, start), healthy, usable, and stopped leaving nothing; the runtime's faults
 * on real nodes. Skips (saying why) only when no Docker engine answers.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { probe } from '../src/clients/http.js';
import { cleanDocker, listFaultlineResources } from '../src/runtime/docker/clean.js';
import { engineStatus } from '../src/runtime/docker/engine.js';
import { dockerRuntime } from '../src/runtime/docker/index.js';
import { redisCall } from '../src/targets/redis/call.js';
import { created, eventually, leftovers, nodeInternals, up } from './runtime/docker-helpers.js';

const engine = await engineStatus();
if (!engine.ok) console.warn(`SKIPPING Docker target tests: ${engine.reason}`);

afterAll(async () => {
  await Promise.allSettled(created.map((c) => c.stop()));
});

describe.skipIf(!engine.ok)('targets in Docker', () => {
  it("the runtime's probe: the engine answers, each fault with its reason when not", async () => {
    const probed = await dockerRuntime.create({}).probe();
    expect(probed.available).toEqual({ supported: true });
    expect(probed.info).toMatchObject({
      runtime: 'docker',
      engine: expect.any(String),
      image: 'faultline-base:1',
    });
    for (const f of ['kill', 'pause', 'partition', 'loss', 'clock'] as const) {
      expect(probed.faults[f]).toEqual({ supported: true });
    }
    // netem depends on the kernel: either it works or the probe says why not.
    const latency = probed.faults.latency;
    if (!latency.supported) expect(latency.reason).toMatch(/netem/);
  });

  const cases: [string, string][] = [
    ['etcd', 'cluster'],
    ['redis', 'single'],
    ['redis', 'replicas'],
    ['redis', 'sentinel'],
    ['kvstore', 'leaderless'],
  ];
  for (const [target, topology] of cases) {
    it(`${target} (${topology}) comes up healthy, serves, and is stopped leaving nothing`, async () => {
      const { cluster, open } = await up(target, topology);
      const expected = target === 'redis' && topology === 'single' ? 1 : 3;
      expect(cluster.nodes).toHaveLength(expected);
      for (const n of cluster.nodes) expect(await cluster.ready(n.name)).toBe(true);
      expect(cluster.info.versions).toMatchObject({ database: expect.any(String) });
      const client = await open(1);
      expect(await client.invoke({ f: 'write', key: 'k', value: 1 })).toEqual({ type: 'ok', value: 1 });
      expect(await client.invoke({ f: 'cas', key: 'k', value: [1, 2] })).toEqual({
        type: 'ok',
        value: [1, 2],
      });
      expect(await client.invoke({ f: 'read', key: 'k', value: null })).toEqual({ type: 'ok', value: 2 });
      await client.close();
      expect(await leftovers(cluster.runId)).toBeGreaterThan(0);
      const t0 = performance.now();
      await cluster.stop();
      expect(performance.now() - t0).toBeLessThan(10_000);
      expect(await leftovers(cluster.runId)).toBe(0);
      await cluster.stop(); // idempotent
    });
  }

  it('the kvstore node sees only the bundled store, not the checkout', async () => {
    const { cluster } = await up('kvstore', 'leaderless', { nodes: 1 });
    const { docker } = await import('../src/runtime/docker/engine.js');
    const [c] = await docker().listContainers({
      filters: { label: [`faultline.run=${cluster.runId}`, 'faultline.role=node'] },
    });
    const info = await docker().getContainer(c!.Id).inspect();
    const shared = info.Mounts.filter((m) => m.Destination.startsWith('/faultline/share'));
    expect(shared).toHaveLength(1);
    expect(shared[0]!.RW).toBe(false);
    expect(shared[0]!.Source).toMatch(/faultline-kvstore-/);
    expect(info.Mounts.some((m) => m.Source === process.cwd())).toBe(false);
    await cluster.stop();
  });

  it('faultline clean removes what a crashed run left (its run only)', async () => {
    const left = await up('redis', 'single');
    const other = await up('redis', 'single');
    const runtime = dockerRuntime.create({});
    const n1 = `faultline-${left.cluster.runId}-n1`;
    expect((await listFaultlineResources(left.cluster.runId)).containers).toEqual([n1, `${n1}-net`]);
    expect(await runtime.clean({ runId: left.cluster.runId, dryRun: true })).toContain(`container ${n1}`);
    expect(await leftovers(left.cluster.runId)).toBe(3);
    const removed = await cleanDocker(left.cluster.runId);
    expect(removed).toEqual({
      containers: [n1, `${n1}-net`],
      networks: [`faultline-${left.cluster.runId}`],
      volumes: [],
    });
    expect(await leftovers(left.cluster.runId)).toBe(0);
    expect(await leftovers(other.cluster.runId)).toBe(3);
    await other.cluster.stop();
    await left.cluster.stop(); // already gone: still fine
  });

  it('etcd: kill/start in place, partition, pause, loss; clock refused by name', async () => {
    const { cluster } = await up('etcd', 'cluster');
    expect(cluster.faults.clock).toMatchObject({
      supported: false,
      reason: expect.stringMatching(/libfaketime/),
    });
    await expect(cluster.clock('n1', { kind: 'offset', seconds: 60 })).rejects.toThrow(/clock/);

    await cluster.kill('n3');
    expect(await cluster.ready('n3')).toBe(false);
    await cluster.start('n3');
    await eventually('n3 back after restart', () => cluster.ready('n3'));
    expect(await cluster.logs('n3')).toMatch(/database killed/);

    // Isolate n1: it loses its leader and stops answering /health; the majority goes on.
    await cluster.partition({ n1: ['n2', 'n3'], n2: ['n1'], n3: ['n1'] });
    await eventually('n1 sees no leader', async () => !(await cluster.ready('n1')));
    await eventually('the majority has a leader', () => cluster.ready('n2'));
    await cluster.heal();
    await eventually('n1 healthy after heal', () => cluster.ready('n1'));

    await cluster.pause('n2');
    const n2 = cluster.nodes.find((n) => n.name === 'n2')!;
    expect(await probe(`http://${n2.host}:${n2.ports.client}/health`, 300)).toBe(false);
    // The sidecar is not frozen with the node: a partition still applies to a paused node.
    await cluster.partition({ n2: ['n1'], n1: ['n2'] });
    await cluster.resume('n2');
    await cluster.heal();
    await eventually('n2 answers after resume', () => cluster.ready('n2'));

    await cluster.net('n3', { lossPercent: 100 });
    expect(await cluster.ready('n3')).toBe(false);
    await cluster.healAll();
    await eventually('n3 answers after healAll', () => cluster.ready('n3'));
    await cluster.stop();
    expect(await leftovers(cluster.runId)).toBe(0);
  });

  it('kvstore: a clock bump through libfaketime makes last-write-wins drop a newer write', async () => {
    const { cluster, open } = await up('kvstore', 'leaderless');
    expect(cluster.faults.clock).toEqual({ supported: true });
    const [n1, n2] = cluster.nodes;
    const nodeTime = async (host: string) =>
      ((await (await fetch(`http://${host}:8000/health`)).json()) as { time: number }).time;
    expect(Math.abs((await nodeTime(n1!.host)) - Date.now())).toBeLessThan(5_000);
    await cluster.clock('n1', { kind: 'offset', seconds: 3600 });
    expect((await nodeTime(n1!.host)) - Date.now()).toBeGreaterThan(3500_000);
    expect(Math.abs((await nodeTime(n2!.host)) - Date.now())).toBeLessThan(5_000);

    const c1 = await open(0); // talks to n1
    const c2 = await open(1); // talks to n2
    expect(await c1.invoke({ f: 'write', key: 'lww', value: 1 })).toMatchObject({ type: 'ok' });
    expect(await c2.invoke({ f: 'write', key: 'lww', value: 2 })).toMatchObject({ type: 'ok' });
    // The later write, acknowledged, is lost: n1 stamped its write an hour in the future.
    expect(await c2.invoke({ f: 'read', key: 'lww', value: null })).toEqual({ type: 'ok', value: 1 });

    // From inside: n1's clock an hour ahead; a partition's rules; a killed database; a pause.
    await cluster.partition({ n3: ['n1', 'n2'] });
    await cluster.kill('n2');
    let inside = await nodeInternals(cluster.runId);
    expect(inside.n1).toMatchObject({ dropRules: 0, paused: false, dbRunning: true });
    expect(inside.n1!.clockSkewS).toBeGreaterThan(3590);
    expect(inside.n2).toMatchObject({ dbRunning: false });
    expect(inside.n3).toMatchObject({ dropRules: 2, dbRunning: true });
    await cluster.pause('n3');
    expect((await nodeInternals(cluster.runId)).n3).toMatchObject({ paused: true, dropRules: 2 });

    await cluster.healAll();
    inside = await nodeInternals(cluster.runId);
    for (const n of ['n1', 'n2', 'n3'])
      expect(inside[n]).toMatchObject({ dropRules: 0, paused: false, dbRunning: true });
    expect(Math.abs(inside.n1!.clockSkewS)).toBeLessThan(5);
    expect(Math.abs((await nodeTime(n1!.host)) - Date.now())).toBeLessThan(5_000);
    await c1.close();
    await c2.close();
    await cluster.stop();
  });

  it('redis: clock faults refused unless asked for; asked for, a bump skews TIME and expires keys, redis keeps serving', async () => {
    const plain = await up('redis', 'single');
    expect(plain.cluster.faults.clock).toMatchObject({
      supported: false,
      reason: expect.stringMatching(/libfaketime/),
    });
    await plain.cluster.stop();

    const { cluster, open } = await up('redis', 'single', { faults: ['clock'] });
    expect(cluster.faults.clock).toEqual({ supported: true });
    expect(cluster.info.fakeClock).toMatch(/jemalloc stand-in/);
    const n1 = cluster.nodes[0]!;
    const call = (...args: string[]) => redisCall(n1.host, n1.ports.client!, args);
    const serverTime = async () => Number(((await call('TIME')) as string[])[0]) * 1000;
    expect(Math.abs((await serverTime()) - Date.now())).toBeLessThan(5_000);
    // The database runs on faultline's jemalloc stand-in (allocation by glibc), not jemalloc.
    expect(await cluster.logs('n1')).not.toMatch(/Unexpected recursive calls/);
    const client = await open(0);
    expect(await call('SET', 'ttl', 'x', 'EX', '600')).toBe('OK');

    await cluster.clock('n1', { kind: 'offset', seconds: 3600 });
    expect((await serverTime()) - Date.now()).toBeGreaterThan(3_500_000);
    // Ten minutes to live, an hour later by the node's clock: gone.
    expect(await call('GET', 'ttl')).toBe(null);
    expect(await client.invoke({ f: 'write', key: 'k', value: 1 })).toEqual({ type: 'ok', value: 1 });
    expect(await client.invoke({ f: 'cas', key: 'k', value: [1, 2] })).toMatchObject({ type: 'ok' });
    expect(await client.invoke({ f: 'read', key: 'k', value: null })).toEqual({ type: 'ok', value: 2 });

    await cluster.clock('n1', { kind: 'offset', seconds: -300 });
    expect((await serverTime()) - Date.now()).toBeLessThan(-250_000);
    await cluster.healAll();
    expect(Math.abs((await serverTime()) - Date.now())).toBeLessThan(5_000);
    expect(await client.invoke({ f: 'read', key: 'k', value: null })).toEqual({ type: 'ok', value: 2 });
    await client.close();
    await cluster.stop();
    expect(await leftovers(cluster.runId)).toBe(0);
  });

  it('redis sentinel: after the primary dies, sentinels fail over and the client follows', async () => {
    const { cluster, open } = await up('redis', 'sentinel', { target: { sentinelDownAfterMs: 1000 } });
    const client = await open(0, 1000);
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
    await cluster.stop();
  }, 60_000);
});
