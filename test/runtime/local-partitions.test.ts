/**
 * Exact partitions of etcd and Redis on the local runtime (real binaries, skipped when absent).
 *
 * etcd: every member dials a peer at its one advertised peer URL, the proxy's; the proxy names
 * each connection's sender from rafthttp's X-Server-From header and cuts it per pair. With the
 * leader isolated, writes through it fail while the majority elects a leader and commits; a
 * serializable read on the isolated member is stale, a linearizable one fails; after the heal
 * every member converges. Redis replicas: each replica dials its primary through its own
 * route, so a partition from the primary freezes that replica (its reads go stale, its lag
 * grows) while the other replica keeps up; after the heal it catches up. Sentinel: refused by
 * name. Nothing (process, port) is left after each cluster.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runNemesisFor } from '../../src/nemesis/plan.js';
import type { RunResult } from '../../src/runner/run.js';
import { launch } from '../../src/runner/start.js';
import type { Cluster } from '../../src/runtime/cluster.js';
import { createLocalRuntime, type LocalCluster } from '../../src/runtime/local/index.js';
import { b64, unb64 } from '../../src/targets/etcd/client.js';
import { etcdTarget } from '../../src/targets/etcd/index.js';
import { etcdLeader } from '../../src/targets/etcd/primaries.js';
import { redisCall } from '../../src/targets/redis/call.js';
import { redisTarget } from '../../src/targets/redis/index.js';
import { type NamedRunOptions, namedRun } from '../named-run.js';
import { call, expectNothingLeft, portsOf } from './local-helpers.js';

const runtime = createLocalRuntime();
afterAll(() => runtime.stopAll());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe.skipIf(!existsSync('/usr/bin/etcd'))('local runtime, etcd partitions', () => {
  const kv = (cluster: Cluster, name: string, op: string, body: unknown, timeoutMs = 1500) => {
    const n = cluster.nodes.find((x) => x.name === name)!;
    return call(`http://${n.host}:${n.ports.client}/v3/kv/${op}`, 'POST', body, timeoutMs);
  };
  const put = (c: Cluster, n: string, v: string, t?: number) =>
    kv(c, n, 'put', { key: b64('k'), value: b64(v) }, t);
  const read = async (c: Cluster, n: string, serializable: boolean, t?: number) => {
    const r = await kv(c, n, 'range', { key: b64('k'), serializable }, t);
    if (r.status !== 200) return r.status;
    const kvs = (JSON.parse(r.body!) as { kvs?: { value: string }[] }).kvs;
    return kvs?.[0] ? unb64(kvs[0].value) : null;
  };

  it('isolating the leader: it cannot commit, the majority elects a leader and commits, serializable reads on the old leader are stale; all converge after the heal', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'faultline-local-test-'));
    const cluster = (await launch(runtime, etcdTarget, { logDir, faults: ['partition'] })) as LocalCluster;
    const ports = portsOf(cluster.info);
    try {
      expect(cluster.faults.partition.supported).toBe(true);
      // The member ids faultline derives are the ones etcd chose (the senders' names rely on it).
      const members = (await kv(cluster, 'n1', '../cluster/member/list', {})).body!;
      const ids = (JSON.parse(members) as { members: { ID: string; name: string }[] }).members;
      const derived = cluster.info.members as Record<string, string>;
      for (const m of ids) expect(BigInt(m.ID).toString(16)).toBe(derived[m.name]);

      expect((await put(cluster, 'n1', 'v1')).status).toBe(200);
      const old = await until('a leader', async () => (await etcdLeader(cluster))[0]);
      const others = cluster.nodes.map((n) => n.name).filter((n) => n !== old);
      // Every Raft stream (2 per ordered pair) has named its sender.
      await until('streams named', async () => (cluster.proxy.stats.identified >= 12 ? true : undefined));

      await cluster.partition({ [old]: others, [others[0]!]: [old], [others[1]!]: [old] });
      // The majority elects one of its own and commits.
      const majority = { nodes: cluster.nodes.filter((n) => n.name !== old) };
      const leader = await until('a new leader', async () => {
        const [l] = await etcdLeader(majority);
        return l && l !== old ? l : undefined;
      });
      expect((await put(cluster, leader, 'v2', 3000)).status).toBe(200);
      // The isolated member commits nothing; its linearizable reads fail; serializable ones are stale.
      const lost = await put(cluster, old, 'lost', 3000);
      expect(lost.status).not.toBe(200);
      expect(await read(cluster, old, false, 3000)).not.toBe('v2');
      expect(await read(cluster, old, true)).toBe('v1');
      expect(await read(cluster, others[0]!, false)).toBe('v2');

      await cluster.heal();
      for (const n of cluster.nodes)
        await until(`${n.name} converged`, async () =>
          (await read(cluster, n.name, false)) === 'v2' ? true : undefined,
        );
      expect(new Set(await Promise.all(cluster.nodes.map((n) => read(cluster, n.name, true))))).toEqual(
        new Set(['v2']),
      );
    } finally {
      await cluster.stop();
    }
    expect(await expectNothingLeft(logDir, ports)).toEqual([]);
  }, 60_000);
});

/** A whole run on the local runtime under partitions of the given kinds; nothing left after it. */
async function partitionRun(o: Partial<NamedRunOptions> & { target: string }, kinds: string[]) {
  const reports = mkdtempSync(join(tmpdir(), 'faultline-local-runs-'));
  const r = await namedRun({
    workload: 'register',
    concurrency: 10,
    timeLimitS: 8,
    opTimeoutMs: 2000,
    reportsDir: reports,
    runtime: createLocalRuntime(),
    nemesis: runNemesisFor(
      { families: ['partition'], intervalS: 2, recoveryS: 1, choices: { partition: { kinds } } },
      { timeLimitS: o.timeLimitS ?? 8 },
    ),
    ...o,
  });
  const meta = JSON.parse(readFileSync(join(r.dir, 'run.json'), 'utf8'));
  expect(await expectNothingLeft(r.dir, portsOf(meta.cluster ?? {}))).toEqual([]);
  const partitions = readFileSync(r.historyPath, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"process":"nemesis"') && l.includes('partition')).length;
  return { r, partitions };
}

describe.skipIf(!existsSync('/usr/bin/etcd'))('whole etcd runs under partitions, local runtime', () => {
  it('linearizable reads: valid (control)', async () => {
    const { r, partitions } = await partitionRun({ target: 'etcd', seed: 5 }, ['one', 'primary', 'halves']);
    expect(partitions).toBeGreaterThan(0);
    expect(r.counts.ok).toBeGreaterThan(100);
    // Effective: operations on the cut-off side fail or time out.
    expect(r.counts.fail + r.counts.info).toBeGreaterThan(0);
    expect(r.valid).toBe(true);
  }, 120_000);

  it('serializable reads: stale reads, not linearizable (up to three seeds)', async () => {
    const attempts: { seed: number; valid: unknown }[] = [];
    let found: RunResult | undefined;
    for (const seed of [5, 6, 7]) {
      const { r, partitions } = await partitionRun(
        { target: 'etcd', seed, targetOptions: { serializable: true } },
        ['primary', 'one'],
      );
      expect(partitions).toBeGreaterThan(0);
      attempts.push({ seed, valid: r.valid });
      if (r.valid === false) {
        found = r;
        break;
      }
    }
    console.log(`[local] etcd serializable under partitions: ${JSON.stringify(attempts)}`);
    expect(found?.results?.linearizable?.valid).toBe(false);
  }, 300_000);
});

describe.skipIf(!existsSync('/usr/bin/redis-server'))('local runtime, Redis partitions', () => {
  const at = (c: Cluster, name: string) => c.nodes.find((n) => n.name === name)!;
  const cmd = (c: Cluster, name: string, args: string[]) =>
    redisCall(at(c, name).host, at(c, name).ports.client!, args);
  const offset = async (c: Cluster, name: string) =>
    Number(/slave_repl_offset:(\d+)/.exec(String(await cmd(c, name, ['INFO', 'replication'])))?.[1]);

  it('a replica cut off from its primary goes stale (its lag grows) while the other keeps up; it catches up after the heal', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'faultline-local-test-'));
    const cluster = await launch(runtime, redisTarget, {
      logDir,
      topology: 'replicas',
      faults: ['partition'],
    });
    const ports = portsOf(cluster.info);
    try {
      expect(cluster.faults.partition.supported).toBe(true);
      await cmd(cluster, 'n1', ['SET', 'k', '0']);
      // Control: both replicas see each write within moments.
      for (const r of ['n2', 'n3'])
        await until(`${r} replicates`, async () =>
          (await cmd(cluster, r, ['GET', 'k'])) === '0' ? true : undefined,
        );

      await cluster.partition({ n3: ['n1'], n1: ['n3'] });
      const before = await offset(cluster, 'n3');
      for (let i = 1; i <= 20; i++) await cmd(cluster, 'n1', ['SET', 'k', String(i)]);
      await until('n2 current', async () =>
        (await cmd(cluster, 'n2', ['GET', 'k'])) === '20' ? true : undefined,
      );
      await sleep(1500);
      // n3 still answers, with the value from before the partition.
      expect(await cmd(cluster, 'n3', ['GET', 'k'])).toBe('0');
      expect(await offset(cluster, 'n3')).toBe(before);
      const master = Number(
        /master_repl_offset:(\d+)/.exec(String(await cmd(cluster, 'n1', ['INFO', 'replication'])))?.[1],
      );
      expect(master).toBeGreaterThan(before);
      expect(await offset(cluster, 'n2')).toBe(master);

      await cluster.heal();
      await until('n3 caught up', async () =>
        (await cmd(cluster, 'n3', ['GET', 'k'])) === '20' ? true : undefined,
      );
    } finally {
      await cluster.stop();
    }
    expect(await expectNothingLeft(logDir, ports)).toEqual([]);
  }, 60_000);

  it('whole run, replicas, reads on the primary, under partitions, pause, latency and clock skew: faults applied, valid', async () => {
    const reports = mkdtempSync(join(tmpdir(), 'faultline-local-runs-'));
    const r = await namedRun({
      target: 'redis',
      topology: 'replicas',
      workload: 'register',
      concurrency: 10,
      timeLimitS: 8,
      seed: 3,
      opTimeoutMs: 1000,
      reportsDir: reports,
      runtime: createLocalRuntime(),
      nemesis: runNemesisFor(
        { families: ['partition', 'pause', 'latency', 'clock'], intervalS: 1, recoveryS: 1, choices: {} },
        { timeLimitS: 8 },
      ),
    });
    const meta = JSON.parse(readFileSync(join(r.dir, 'run.json'), 'utf8'));
    expect(await expectNothingLeft(r.dir, portsOf(meta.cluster ?? {}))).toEqual([]);
    const faults = readFileSync(r.historyPath, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"process":"nemesis"'))
      .map((l) => (JSON.parse(l) as { f: string }).f);
    console.log(`[local] redis replicas: faults ${faults.join(' ')}; counts ${JSON.stringify(r.counts)}`);
    // Every family took effect at least once (netem: latency, clock: the skew).
    for (const f of ['partition', 'pause', 'netem', 'clock'])
      expect(faults.some((x) => x.startsWith(f))).toBe(true);
    expect(r.counts.ok).toBeGreaterThan(100);
    expect(r.valid).toBe(true);
  }, 120_000);

  it('replicas deployed for a run without partitions dial their primary directly; partitions then refused, with the reason', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'faultline-local-test-'));
    const cluster = await launch(runtime, redisTarget, { logDir, topology: 'replicas' });
    const ports = portsOf(cluster.info);
    try {
      const p = cluster.faults.partition;
      expect(p.supported ? '' : p.reason).toMatch(/deployed without partitions/);
      const info = String(await cmd(cluster, 'n2', ['INFO', 'replication']));
      expect(info).toContain(
        `master_port:${(cluster.info.nodes as { listens: { client: number } }[])[0]!.listens.client}`,
      );
    } finally {
      await cluster.stop();
    }
    expect(await expectNothingLeft(logDir, ports)).toEqual([]);
  }, 60_000);

  it('Sentinel: partitions refused by name, with the reason', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'faultline-local-test-'));
    const cluster = await launch(runtime, redisTarget, {
      logDir,
      topology: 'sentinel',
      faults: ['partition'],
    });
    const ports = portsOf(cluster.info);
    try {
      const p = cluster.faults.partition;
      expect(p.supported).toBe(false);
      expect(p.supported ? '' : p.reason).toMatch(/sentinels dial every redis-server.*announces/);
      await expect(cluster.partition({ n1: ['n2'], n2: ['n1'] })).rejects.toThrow(/sentinel/);
      expect(cluster.faults.kill.supported && cluster.faults.pause.supported).toBe(true);
    } finally {
      await cluster.stop();
    }
    expect(await expectNothingLeft(logDir, ports)).toEqual([]);
  }, 60_000);
});
