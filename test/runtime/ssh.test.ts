/**
 * The SSH runtime on hosts made here: three network namespaces behind a bridge, each with its
 * own sshd (ssh-netns.ts); faultline reaches them over SSH only. Traffic stays in those
 * namespaces (10.250.X.0/24) and loopback.
 *   - etcd under partition + kill + pause: linearizable, faults recorded and effective;
 *   - etcd with serializable reads under minority partitions: stale reads (not linearizable);
 *   - the probe and each fault on a cluster: iptables chain faultline-<run>, kill keeps data,
 *     pause stops the process group, latency refused (no netem here), a host that drops fails
 *     a command naming it within the command timeout;
 *   - clock faults refused, by the shared kernel (boot_id), before any client (kvstore, whose
 *     code the runtime uploads over SFTP);
 *   - a harness killed with SIGKILL leaves nothing (the tether), nor one stopped by SIGINT;
 *     `clean` removes what a run whose tether is gone left.
 * Every test also checks that nothing is left: no process in the namespaces but sshd, no
 * faultline chain, no run directory. Skips, saying why, when not root or without `ip netns`.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveTarget } from '../../src/config/resolve.js';
import type { History } from '../../src/history/op.js';
import { readHistoryFile } from '../../src/history/read.js';
import { type NemesisPlan, runNemesisFor } from '../../src/nemesis/plan.js';
import { nemesisIntervals } from '../../src/nemesis/record.js';
import type { NemesisInterval } from '../../src/nemesis/types.js';
import type { RunResult } from '../../src/runner/run.js';
import { launch } from '../../src/runner/start.js';
import { type Cluster, UnsupportedFaultError } from '../../src/runtime/cluster.js';
import { createSshRuntime, type SshRuntimeOptions } from '../../src/runtime/ssh/index.js';
import { namedRun } from '../named-run.js';
import { completedOps, outcomesAround } from '../nemesis/evidence.js';
import { createNetnsHosts, leftovers, type NetnsHosts, netnsUnavailable } from './ssh-netns.js';

const unavailable = netnsUnavailable();
if (unavailable) console.warn(`SKIPPING SSH runtime tests: ${unavailable}`);

const reports = mkdtempSync(join(tmpdir(), 'faultline-ssh-reports-'));
const log = (what: string, figures: unknown) =>
  console.log(`[ssh evidence] ${what}: ${JSON.stringify(figures)}`);

let h: NetnsHosts;
const runtimeOptions = (more: Partial<SshRuntimeOptions> = {}): SshRuntimeOptions => ({
  hosts: h.hosts,
  identityFile: h.identityFile,
  remoteDir: h.remoteDir,
  ...more,
});
const runtime = (more: Partial<SshRuntimeOptions> = {}) => createSshRuntime(runtimeOptions(more));

async function nothingLeft(timeoutMs = 10_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let left = leftovers(h);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    left = leftovers(h);
  }
  return left;
}

async function load(r: RunResult): Promise<{ history: History; intervals: NemesisInterval[] }> {
  const history = await readHistoryFile(r.historyPath, { format: 'jsonl' });
  return { history, intervals: nemesisIntervals(history.ops) };
}

function nemesisRun(o: {
  seed: number;
  rate: number;
  timeLimitS: number;
  plan: Omit<NemesisPlan, 'recoveryS'>;
  targetOptions?: Record<string, unknown>;
}): Promise<RunResult> {
  return namedRun({
    target: 'etcd',
    workload: 'register',
    concurrency: 10,
    seed: o.seed,
    rate: o.rate,
    opTimeoutMs: 1000,
    timeLimitS: o.timeLimitS,
    reportsDir: reports,
    targetOptions: o.targetOptions,
    runtime: runtime(),
    nemesis: runNemesisFor({ recoveryS: 3, ...o.plan }, { timeLimitS: o.timeLimitS }),
  });
}

describe.skipIf(unavailable !== undefined)('SSH runtime on network-namespace hosts', () => {
  beforeAll(() => {
    h = createNetnsHosts(3);
  });
  afterAll(() => {
    h?.destroy();
  });

  it('probe, then each fault on an etcd cluster: chain faultline-<run>, kill keeps data, pause, latency refused, a dropped host named', async () => {
    const rt = runtime({ commandTimeout: 4 });
    const probe = await rt.probe();
    expect(probe.available).toEqual({ supported: true });
    expect(probe.faults.partition).toEqual({ supported: true });
    expect(probe.faults.loss).toEqual({ supported: true });
    expect(probe.faults.latency.supported).toBe(false);
    const clockReason = (probe.faults.clock as { reason: string }).reason;
    expect(clockReason).toMatch(/share one kernel \(the same \/proc\/sys\/kernel\/random\/boot_id/);
    for (const a of h.addresses) expect(clockReason).toContain(a);

    const logDir = mkdtempSync(join(tmpdir(), 'faultline-ssh-logs-'));
    const cluster: Cluster = await launch(rt, resolveTarget('etcd'), { logDir });
    try {
      const run = join(h.remoteDir, cluster.runId);
      const ctl = (n: string, f: string) => readFileSync(join(run, n, 'ctl', f), 'utf8').trim();
      expect(cluster.faults.clock).toEqual(probe.faults.clock);
      // The latency refusal is the kernel's, from the probe on each host.
      expect((cluster.faults.latency as { reason: string }).reason).toMatch(/no netem on root@.*tc said/);
      await expect(cluster.net('n1', { delayMs: 10 })).rejects.toBeInstanceOf(UnsupportedFaultError);
      await expect(cluster.clock('n1', { kind: 'offset', seconds: 60 })).rejects.toThrow(/boot_id/);

      // Partition: rules in the run's own chain, in each host's own packet filter.
      await cluster.partition({ n1: ['n2', 'n3'], n2: ['n1'], n3: ['n1'] });
      const rules = (i: number) => h.inNs(i, ['iptables', '-w', '-S']).stdout;
      const chain = /-N (faultline-\S+)/.exec(rules(0))?.[1];
      expect(chain).toBeDefined();
      expect(chain!.length).toBeLessThanOrEqual(28);
      expect(rules(0)).toContain(`-A INPUT -j ${chain}`);
      expect(rules(0).match(/-j DROP/g)).toHaveLength(2);
      expect(rules(1).match(/-j DROP/g)).toHaveLength(1);
      await cluster.net('n2', { lossPercent: 30 });
      // iptables keeps the probability as a fraction of 2^31 (0.29999999981).
      expect(rules(1)).toMatch(/statistic --mode random --probability 0\.(3|29999)\d* -j DROP/);
      await cluster.heal();
      for (const i of [0, 1, 2]) expect(rules(i)).not.toMatch(/-j DROP/);

      // Kill: the process group dies, the data stays, start brings it back (same member).
      const pid1 = Number(ctl('n1', 'db.pid'));
      const data = readdirSync(join(run, 'n1', 'data', 'etcd'));
      await cluster.kill('n1');
      expect(existsSync(join(run, 'n1', 'ctl', 'db.pid'))).toBe(false);
      expect(existsSync(`/proc/${pid1}`)).toBe(false);
      expect(readdirSync(join(run, 'n1', 'data', 'etcd'))).toEqual(data);
      await cluster.start('n1');
      const pid2 = Number(ctl('n1', 'db.pid'));
      expect(pid2).not.toBe(pid1);
      let ready = false;
      for (let i = 0; i < 100 && !ready; i++) {
        ready = await cluster.ready('n1');
        if (!ready) await new Promise((r) => setTimeout(r, 100));
      }
      expect(ready).toBe(true);

      // Pause: the database's process group is stopped (T), then runs again.
      const state = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[0];
      const pid3 = Number(ctl('n3', 'db.pid'));
      // A signal is delivered asynchronously: on a busy machine /proc may still say R a moment.
      const settles = async (want: (s: string | undefined) => boolean) => {
        for (let i = 0; i < 40 && !want(state(pid3)); i++) await new Promise((r) => setTimeout(r, 50));
        return state(pid3);
      };
      await cluster.pause('n3');
      expect(await settles((s) => s === 'T')).toBe('T');
      await cluster.resume('n3');
      expect(await settles((s) => s !== 'T')).not.toBe('T');

      // healAll brings back a killed node.
      await cluster.kill('n2');
      await cluster.healAll();
      expect(existsSync(join(run, 'n2', 'ctl', 'db.pid'))).toBe(true);

      // A host that drops: an error naming it, within the command timeout, never a hang.
      h.inNs(2, ['ip', 'link', 'set', 'eth0', 'down']);
      const t0 = Date.now();
      const err = await cluster.pause('n3').then(
        () => undefined,
        (e: Error) => e,
      );
      const ms = Date.now() - t0;
      log('dropped host', { ms, error: err?.message });
      expect(err?.message).toContain(h.hosts[2]);
      expect(ms).toBeLessThan(4000 + 2000);
      h.inNs(2, ['ip', 'link', 'set', 'eth0', 'up']);
    } finally {
      await cluster.stop();
    }
    // Logs came back; nothing is left on the hosts.
    expect(readFileSync(join(logDir, 'n1.log'), 'utf8')).toMatch(/starting database: \/usr\/bin\/etcd/);
    expect(readFileSync(join(logDir, 'n1.log'), 'utf8')).toMatch(/database killed/);
    expect(await nothingLeft()).toEqual([]);
  }, 120_000);

  it('a program a host lacks: refused before anything starts, naming each host', async () => {
    const err = await launch(runtime(), resolveTarget('etcd'), {
      targetOptions: { binary: '/usr/bin/etcd-not-installed' },
    }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(
      /the target's program is not on every host: n1 \(root@10\.250\.\d+\.11:22\) lacks \/usr\/bin\/etcd-not-installed; n2 .*; n3 /,
    );
    expect(await nothingLeft()).toEqual([]);
  }, 60_000);

  it('etcd, linearizable reads, partition + kill + pause for 30 s: valid, faults recorded and effective', async () => {
    const r = await nemesisRun({
      seed: 35,
      rate: 300,
      timeLimitS: 30,
      plan: { families: ['partition', 'kill', 'pause'], intervalS: 5 },
    });
    const { history, intervals } = await load(r);
    expect(await nothingLeft()).toEqual([]);
    const last = history.ops.filter((op) => op.process === 'nemesis').at(-1);
    expect(last).toMatchObject({ type: 'info', f: 'heal', value: { final: true } });
    expect(last?.error).toBeUndefined();
    const kinds = new Set(intervals.map((i) => i.kind));
    for (const i of intervals) expect(i.end).not.toBeNull();
    const around = outcomesAround(
      completedOps(history.ops),
      intervals.filter((i) => i.kind === 'partition'),
    );
    log('etcd linearizable over SSH', {
      faults: intervals.map((i) => `${i.kind}:${i.detail}:${i.nodes.join(',')}`),
      counts: r.counts,
      duringPartitions: around.inside,
      outsidePartitions: around.outside,
      valid: r.valid,
    });
    expect([...kinds].sort()).toEqual(['kill', 'partition', 'pause']);
    expect(r.counts.ok).toBeGreaterThan(1000);
    expect(r.results?.linearizable?.valid).toBe(true);
    expect(r.valid).toBe(true);
    // The run's nodes' logs came back.
    expect(readFileSync(join(r.dir, 'nodes', 'n1.log'), 'utf8')).toMatch(/starting database/);
  }, 180_000);

  it('etcd, serializable reads, a minority isolated: stale reads, not linearizable', async () => {
    const attempts: { seed: number; valid: unknown; summary?: string }[] = [];
    let found: RunResult | undefined;
    for (const seed of [5, 6, 7]) {
      const r = await nemesisRun({
        seed,
        rate: 400,
        timeLimitS: 16,
        targetOptions: { serializable: true },
        plan: {
          families: ['partition'],
          intervalS: 4,
          choices: { partition: { kinds: ['one', 'primary'] } },
        },
      });
      expect(await nothingLeft()).toEqual([]);
      attempts.push({ seed, valid: r.valid, summary: String(r.results?.linearizable?.summary ?? '') });
      if (r.valid === false) {
        found = r;
        break;
      }
    }
    log('etcd serializable over SSH', attempts);
    expect(found).toBeDefined();
    const { intervals } = await load(found!);
    expect(intervals.length).toBeGreaterThan(0);
    for (const i of intervals) expect(i.kind).toBe('partition');
    expect(found!.results?.linearizable?.valid).toBe(false);
  }, 300_000);

  it('clock faults refused on hosts sharing a kernel, by name and reason, before any client (kvstore uploaded over SFTP)', async () => {
    const runId = `ssh-clock-${process.pid}`;
    const outcome = await namedRun({
      target: 'kvstore',
      workload: 'register',
      runId,
      concurrency: 2,
      seed: 1,
      rate: 50,
      timeLimitS: 4,
      reportsDir: reports,
      runtime: runtime(),
      nemesis: runNemesisFor({ families: ['clock'], intervalS: 1, recoveryS: 0 }, { timeLimitS: 4 }),
    }).then(
      () => undefined,
      (e: Error) => e,
    );
    log('clock refused', outcome?.message);
    expect(outcome).toBeInstanceOf(UnsupportedFaultError);
    expect(outcome?.message).toMatch(
      /fault "clock" is not supported: hosts root@10\.250\.\d+\.11:22, root@10\.250\.\d+\.12:22, root@10\.250\.\d+\.13:22 share one kernel \(the same \/proc\/sys\/kernel\/random\/boot_id [0-9a-f-]+\).*setting the clock on one would set it on all/,
    );
    const history = await readHistoryFile(join(reports, runId, 'history.jsonl'), { format: 'jsonl' });
    expect(history.ops).toHaveLength(0);
    // The kvstore did start from the uploaded code (its log came back), then was stopped.
    expect(readFileSync(join(reports, runId, 'nodes', 'n1.log'), 'utf8')).toMatch(
      /starting database: .*share\/0\//,
    );
    expect(await nothingLeft()).toEqual([]);
  }, 120_000);

  describe('a harness that dies or is interrupted leaves nothing on the hosts', () => {
    const cli = resolve('dist/src/cli/main.js');
    const flags = () => [
      'run',
      '--runtime',
      'ssh',
      '--hosts',
      h.hosts.join(','),
      '--identity-file',
      h.identityFile,
      '--remote-dir',
      h.remoteDir,
      '--target',
      'etcd',
      '--time-limit',
      '120',
      '--rate',
      '50',
      '--nemesis',
      'partition',
      '--nemesis-interval',
      '2',
      '--reports',
      reports,
    ];
    /** Starts `faultline run` and resolves once its cluster is ready. */
    async function startCli(): Promise<{ child: ChildProcess; output: () => string }> {
      const child = spawn(process.execPath, [cli, ...flags()], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
      });
      child.stderr!.on('data', (d) => {
        out += d;
      });
      const deadline = Date.now() + 60_000;
      while (!/cluster ready/.test(out)) {
        if (child.exitCode !== null) throw new Error(`faultline exited (${child.exitCode}): ${out}`);
        if (Date.now() > deadline) {
          child.kill('SIGKILL');
          throw new Error(`cluster not ready in 60 s: ${out}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      return { child, output: () => out };
    }
    const exited = (c: ChildProcess) =>
      c.exitCode !== null
        ? Promise.resolve(c.exitCode)
        : new Promise((r) => c.once('exit', (code) => r(code)));
    const etcdRunning = () => leftovers(h).filter((l) => /process \d+ \/usr\/bin\/etcd /.test(l)).length;

    it('SIGKILL: each host tears its node down once the connection ends (the tether)', async () => {
      const { child } = await startCli();
      expect(etcdRunning()).toBe(3);
      const t0 = Date.now();
      child.kill('SIGKILL');
      await exited(child);
      expect(await nothingLeft(15_000)).toEqual([]);
      log('tether after SIGKILL', { ms: Date.now() - t0 });
    }, 120_000);

    it('SIGINT: the run stops its cluster', async () => {
      const { child, output } = await startCli();
      // Mid-run, with partitions coming and going.
      await new Promise((r) => setTimeout(r, 3000));
      child.kill('SIGINT');
      const code = await exited(child);
      // The run ends as interrupted (its verdict on what it saw), the cluster torn down.
      expect(output()).toMatch(/SIGINT: stopping the run/);
      expect(output()).toMatch(/\(interrupted\)/);
      log('SIGINT', { exit: code });
      expect(await nothingLeft(1000)).toEqual([]);
    }, 120_000);

    it('clean: removes what a run left whose harness and tether are gone', async () => {
      const { child } = await startCli();
      // Cut the tethers first (by their pid files): as if an older faultline had left the run.
      for (const run of readdirSync(h.remoteDir))
        for (const node of readdirSync(join(h.remoteDir, run)))
          process.kill(
            Number(readFileSync(join(h.remoteDir, run, node, 'ctl', 'tether.pid'), 'utf8')),
            'SIGKILL',
          );
      child.kill('SIGKILL');
      await exited(child);
      await new Promise((r) => setTimeout(r, 1000));
      expect(etcdRunning()).toBe(3);
      // `faultline clean` given the same hosts, as a user would after a crash.
      const clean = (...more: string[]) => {
        const out = spawnSync(
          process.execPath,
          [
            cli,
            'clean',
            '--hosts',
            h.hosts.join(','),
            '--identity-file',
            h.identityFile,
            '--remote-dir',
            h.remoteDir,
            ...more,
          ],
          { encoding: 'utf8', timeout: 60_000 },
        );
        log('clean', { more, status: out.status, stdout: out.stdout, stderr: out.stderr });
        return out.stdout.split('\n').filter((l) => / run .* node n\d$/.test(l));
      };
      expect(clean('--dry-run')).toHaveLength(3);
      expect(etcdRunning()).toBe(3);
      expect(clean()).toHaveLength(3);
      expect(await nothingLeft(5000)).toEqual([]);
      expect(await runtime().clean()).toEqual([]);
    }, 120_000);
  });
});
