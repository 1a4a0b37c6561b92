/**
 * The nemesis on real clusters (issue 6's evidence): short but real runs in Docker.
 *   - etcd, linearizable reads, partition + kill + pause for 30 s: no false alarm, faults
 *     recorded and effective (operations fail or time out during partitions);
 *   - etcd, serializable reads, minority partitions: stale reads found (not linearizable);
 *   - kvstore, last-write-wins, a clock bump on one node: lost updates found;
 *   - Redis + Sentinel, the primary isolated: what happens is recorded and asserted;
 *   - kvstore, latency on one node: its clients' recorded latencies rise by about the delay
 *     inside the fault intervals (tc netem, or faultline's proxy where the kernel has no netem);
 *   - runs interrupted mid-fault leave no iptables rule, paused container or skewed clock
 *     (in process, and with a real SIGINT to the `faultline run` binary).
 * Skips (saying why) only when no Docker engine answers.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { History } from '../../src/history/op.js';
import { readHistoryFile } from '../../src/history/read.js';
import { type NemesisPlan, type RunNemesis, runNemesisFor } from '../../src/nemesis/plan.js';
import { nemesisIntervals } from '../../src/nemesis/record.js';
import { abilitiesOf } from '../../src/nemesis/registry.js';
import type { Fault, NemesisInterval, Schedule } from '../../src/nemesis/types.js';
import { runNemesis } from '../../src/nemesis/worker.js';
import type { RunResult } from '../../src/runner/run.js';
import type { Cluster } from '../../src/runtime/cluster.js';
import { docker, engineStatus, LABEL_RUN } from '../../src/runtime/docker/engine.js';
import { probeNetem } from '../../src/runtime/docker/faults.js';
import { type NamedRunOptions, namedRun } from '../named-run.js';
import { nodeInternals } from '../runtime/docker-helpers.js';
import { completedOps, lostWrites, outcomesAround } from './evidence.js';
import { latencyAround } from './latency-evidence.js';

const engine = await engineStatus();
if (!engine.ok) console.warn(`SKIPPING nemesis Docker runs: ${engine.reason}`);

const reports = mkdtempSync(join(tmpdir(), 'faultline-nemesis-test-'));

interface NemesisRunOptions extends Partial<NamedRunOptions> {
  target: string;
  plan: Omit<NemesisPlan, 'recoveryS'> & { recoveryS?: number };
  timeLimitS: number;
}

function nemesisRun(o: NemesisRunOptions): Promise<RunResult> {
  const { plan, ...rest } = o;
  return namedRun({
    workload: 'register',
    concurrency: 10,
    seed: 1,
    opTimeoutMs: 1000,
    reportsDir: reports,
    ...rest,
    nemesis: runNemesisFor({ recoveryS: 3, ...plan }, { timeLimitS: o.timeLimitS }),
  });
}

async function load(r: RunResult): Promise<{ history: History; intervals: NemesisInterval[] }> {
  const history = await readHistoryFile(r.historyPath, { format: 'jsonl' });
  const results = JSON.parse(readFileSync(join(r.dir, 'results.json'), 'utf8'));
  const intervals = results.nemesis as NemesisInterval[];
  // results.json carries exactly what the history says.
  expect(intervals).toEqual(nemesisIntervals(history.ops));
  return { history, intervals };
}

async function leftovers(runId: string) {
  const filters = { label: [`${LABEL_RUN}=${runId}`] };
  return (
    (await docker().listContainers({ all: true, filters })).length +
    (await docker().listNetworks({ filters })).length
  );
}

const finalHeal = (history: History) => {
  const nemesis = history.ops.filter((op) => op.process === 'nemesis');
  const last = nemesis.at(-1);
  expect(last).toMatchObject({ type: 'info', f: 'heal', value: { final: true } });
  expect(last?.error).toBeUndefined();
  return nemesis;
};

const log = (what: string, figures: unknown) =>
  console.log(`[nemesis evidence] ${what}: ${JSON.stringify(figures)}`);

describe.skipIf(!engine.ok)('nemesis on real clusters', () => {
  it('etcd, linearizable reads, partition + kill + pause for 30 s: valid, faults recorded and effective', async () => {
    const r = await nemesisRun({
      target: 'etcd',
      seed: 35,
      rate: 400,
      timeLimitS: 30,
      plan: { families: ['partition', 'kill', 'pause'], intervalS: 5 },
    });
    const { history, intervals } = await load(r);
    expect(await leftovers(r.runId)).toBe(0);
    finalHeal(history);
    const kinds = new Set(intervals.map((i) => i.kind));
    expect([...kinds].sort()).toEqual(['kill', 'partition', 'pause']);
    for (const i of intervals) {
      expect(i.end).not.toBeNull();
      expect(i.errors).toBeUndefined();
    }
    const ops = completedOps(history.ops);
    const partitions = intervals.filter((i) => i.kind === 'partition');
    const around = outcomesAround(ops, partitions);
    log('etcd linearizable', {
      faults: intervals.map((i) => `${i.kind}:${i.detail}:${i.nodes.join(',')}`),
      counts: r.counts,
      duringPartitions: around.inside,
      outsidePartitions: around.outside,
    });
    // Effective: operations fail or time out while a partition is on.
    expect(around.inside.fail + around.inside.info).toBeGreaterThan(0);
    expect(r.counts.ok).toBeGreaterThan(1000);
    // No false alarm.
    expect(r.results?.linearizable?.valid).toBe(true);
    expect(r.valid).toBe(true);
  }, 150_000);

  it('etcd, serializable reads, a minority isolated: stale reads, not linearizable', async () => {
    // Drive it until the anomaly shows (it does on the first seed here; a slow machine gets more tries).
    const attempts: { seed: number; valid: unknown; failing?: string }[] = [];
    let found: RunResult | undefined;
    for (const seed of [5, 6, 7]) {
      const r = await nemesisRun({
        target: 'etcd',
        seed,
        rate: 500,
        timeLimitS: 16,
        targetOptions: { serializable: true },
        plan: {
          families: ['partition'],
          intervalS: 4,
          choices: { partition: { kinds: ['one', 'primary'] } },
        },
      });
      expect(await leftovers(r.runId)).toBe(0);
      attempts.push({ seed, valid: r.valid, failing: String(r.results?.linearizable?.summary ?? '') });
      if (r.valid === false) {
        found = r;
        break;
      }
    }
    log('etcd serializable', attempts);
    expect(found).toBeDefined();
    const { history, intervals } = await load(found!);
    finalHeal(history);
    expect(intervals.length).toBeGreaterThan(0);
    for (const i of intervals) expect(i.kind).toBe('partition');
    expect(found!.results?.linearizable?.valid).toBe(false);
  }, 240_000);

  it('kvstore, last-write-wins, clock bumped back on one node: lost updates (none without the bump)', async () => {
    const kv = {
      target: 'kvstore',
      rate: 600,
      targetOptions: { replicas: 3, readQuorum: 3, writeQuorum: 3 },
      workloadOptions: { keys: 10, mix: { read: 1, write: 1, cas: 0 } },
    };
    // Control: the same store and workload without the bump is linearizable. At a lower rate:
    // last-write-wins orders two writes stamped in the same millisecond by different nodes
    // arbitrarily, so at 600 ops/s a same-millisecond pair on one key sometimes broke the control
    // under CI load; that is a real weakness of the store, but not the one this test is about.
    const control = await namedRun({
      workload: 'register',
      concurrency: 10,
      seed: 5,
      opTimeoutMs: 1000,
      reportsDir: reports,
      timeLimitS: 6,
      ...kv,
      rate: 100,
    });
    expect(control.valid).toBe(true);

    const r = await nemesisRun({
      ...kv,
      seed: 5,
      timeLimitS: 16,
      plan: {
        families: ['clock'],
        intervalS: 5,
        choices: { clock: { targets: ['one'], modes: ['bump'], maxOffsetS: 30, offsetsS: [-30] } },
      },
    });
    const { history, intervals } = await load(r);
    finalHeal(history);
    expect(intervals.length).toBeGreaterThan(0);
    const lost = lostWrites(completedOps(history.ops));
    const skewed = (node: string | undefined, t: number) =>
      intervals.some(
        (i) => node !== undefined && i.nodes.includes(node) && t >= i.start && t <= (i.end ?? Infinity),
      );
    const bySkewedNode = lost.filter((l) => skewed(l.node, l.acknowledged));
    log('kvstore clock bump', {
      bumps: intervals.map((i) => `${i.detail} on ${i.nodes.join(',')}`),
      counts: r.counts,
      lostWrites: lost.length,
      lostThroughSkewedNode: bySkewedNode.length,
      example: lost[0],
    });
    expect(r.results?.linearizable?.valid).toBe(false);
    expect(bySkewedNode.length).toBeGreaterThan(0);
  }, 150_000);

  it('redis + sentinel, the primary isolated: failover, and acknowledged writes to the old primary lost', async () => {
    const r = await nemesisRun({
      target: 'redis',
      topology: 'sentinel',
      seed: 5,
      rate: 300,
      timeLimitS: 30,
      plan: {
        families: ['partition'],
        intervalS: 12,
        recoveryS: 5,
        choices: { partition: { kinds: ['primary'] } },
      },
    });
    const { history, intervals } = await load(r);
    expect(await leftovers(r.runId)).toBe(0);
    const nemesis = finalHeal(history);
    const partition = nemesis.find((op) => op.f === 'partition');
    // The primary (n1 at start) was the node cut off.
    expect(partition?.value).toMatchObject({ kind: 'primary', grudge: { n1: ['n2', 'n3'] } });
    const ops = completedOps(history.ops);
    const cut = intervals[0]!;
    const during = ops.filter((o) => o.complete >= cut.start && o.complete <= cut.end!);
    // Where clients are once things settle: the final reads, after the heal and the recovery.
    const healedAt = nemesis.at(-1)!.time;
    const after = ops.filter((o) => o.invoke > healedAt);
    const nodesAfter = [...new Set(after.map((o) => o.node))].sort();
    const okDuringOnOld = during.filter((o) => o.type === 'ok' && o.f !== 'read' && o.node === 'n1').length;
    const lost = lostWrites(ops);
    log('redis sentinel primary isolated', {
      partitionS: ((cut.end! - cut.start) / 1e9).toFixed(1),
      counts: r.counts,
      writesAcknowledgedByIsolatedPrimary: okDuringOnOld,
      clientNodesAfterHeal: nodesAfter,
      lostWrites: lost.length,
      lostOnOldPrimary: lost.filter((l) => l.node === 'n1').length,
      verdict: r.valid,
    });
    // What this setup reproduces: clients keep writing to the isolated old primary (its own
    // clients still reach it), the sentinels promote a replica, the old primary rejoins as a
    // replica and its acknowledged writes are gone.
    expect(okDuringOnOld).toBeGreaterThan(0);
    expect(after.length).toBeGreaterThan(0);
    expect(nodesAfter).not.toContain('n1');
    expect(lost.filter((l) => l.node === 'n1').length).toBeGreaterThan(0);
    expect(r.valid).toBe(false);
  }, 150_000);

  it('kvstore, all five families mixed (partition, kill, pause, clock, loss): each applied cleanly, all healed', async () => {
    const r = await nemesisRun({
      target: 'kvstore',
      seed: 3,
      rate: 300,
      timeLimitS: 24,
      plan: { families: ['partition', 'kill', 'pause', 'clock', 'loss'], intervalS: 2.5, recoveryS: 2 },
    });
    const { history, intervals } = await load(r);
    expect(await leftovers(r.runId)).toBe(0);
    finalHeal(history);
    const kinds = [...new Set(intervals.map((i) => i.kind))].sort();
    expect(kinds).toEqual(['clock', 'kill', 'loss', 'partition', 'pause']);
    for (const i of intervals) {
      expect(i.errors).toBeUndefined();
      expect(i.end).not.toBeNull();
    }
    const around = outcomesAround(completedOps(history.ops), intervals);
    log('kvstore all families', {
      faults: intervals.map((i) => `${i.kind}:${i.detail}:${i.nodes.join(',')}`),
      counts: r.counts,
      duringFaults: around.inside,
      outsideFaults: around.outside,
      verdict: r.valid,
    });
  }, 120_000);

  it("latency 100±50 ms on one node: its clients' recorded latencies rise by about that much inside the fault intervals (netem, or faultline's proxy where the kernel has none)", async () => {
    const runId = `nemesis-latency-${process.pid}`;
    const r = await nemesisRun({
      target: 'kvstore',
      targetOptions: { readQuorum: 1, writeQuorum: 1 },
      runId,
      timeLimitS: 16,
      rate: 100,
      plan: {
        families: ['latency'],
        intervalS: 4,
        recoveryS: 0,
        choices: { latency: { targets: ['one'], delayMs: 100 } },
      },
    });
    expect(await leftovers(runId)).toBe(0);
    const { history, intervals } = await load(r);
    finalHeal(history);
    expect(intervals.length).toBeGreaterThan(0);
    for (const i of intervals) {
      expect(i.kind).toBe('latency');
      expect(i.errors).toBeUndefined();
    }
    const meta = JSON.parse(readFileSync(join(r.dir, 'run.json'), 'utf8'));
    const netem = (await probeNetem()).supported;
    const around = latencyAround(completedOps(history.ops), intervals);
    log('latency', {
      by: netem ? 'netem' : 'proxy',
      networkFaults: JSON.stringify(meta).match(/"networkFaults":"([^"]*)"/)?.[1],
      faults: intervals.map((i) => `${i.detail}:${i.nodes.join(',')}`),
      ...around,
      load: loadavg().map((l) => l.toFixed(1)),
    });
    expect(JSON.stringify(meta)).toMatch(netem ? /tc netem/ : /TCP proxy/);
    expect(around.inside.count).toBeGreaterThan(20);
    expect(around.others.count).toBeGreaterThan(20);
    // About the delay (100 ms, jitter ±50 averaging out; R = W = 1, so an operation waits for
    // one answer of the slowed node), with room for a loaded machine. The baseline is the other
    // nodes' operations at the same moments: the gaps between faults are short and hold the
    // heals, and on a loaded machine a second of everything slow lands there as often as not.
    const rise = around.inside.medianMs - around.others.medianMs;
    expect(rise).toBeGreaterThan(60);
    expect(rise).toBeLessThan(200);
  }, 120_000);

  describe('a run interrupted mid-fault leaves nothing broken', () => {
    /** What each node looks like from inside: packet filter, freezer, clock, database. */
    const inspect = (cluster: Pick<Cluster, 'runId'>) => nodeInternals(cluster.runId);

    /** A nemesis with a fixed schedule that interrupts the run once `trigger` is recorded. */
    function interrupting(
      schedule: Schedule,
      trigger: string,
      controller: AbortController,
      seen: { during?: Awaited<ReturnType<typeof inspect>>; after?: Awaited<ReturnType<typeof inspect>> },
    ): RunNemesis {
      const families = [
        ...new Set(schedule.entries.flatMap((e) => (e.action === 'heal' ? [] : [e.fault.family]))),
      ];
      return {
        families,
        needs: abilitiesOf(families),
        recoveryS: 1,
        describe: () => ({ families, fixed: true }),
        prepare: () => {},
        async run(ctx) {
          let fired = false;
          const recorder = {
            nemesis: (f: string, value: Parameters<typeof ctx.recorder.nemesis>[1], error?: string) => {
              ctx.recorder.nemesis(f, value, error);
              if (f === trigger && !fired) {
                fired = true;
                // Look at the faults in place, then interrupt the run as Ctrl-C would.
                void new Promise((res) => setTimeout(res, 300))
                  .then(() => (f === 'pause' ? undefined : inspect(ctx.cluster)))
                  .then((state) => {
                    seen.during = state;
                    controller.abort();
                  });
              }
            },
          };
          const summary = await runNemesis({
            cluster: ctx.cluster,
            recorder,
            schedule,
            signal: ctx.signal,
            primaries: ctx.primaries,
          });
          seen.after = await inspect(ctx.cluster);
          return summary;
        },
      };
    }

    const base = {
      workload: 'register',
      target: 'kvstore',
      concurrency: 4,
      seed: 1,
      opTimeoutMs: 1000,
      reportsDir: reports,
      timeLimitS: 60,
      rate: 200,
    };

    it('mid-partition, with a clock bumped and a database killed', async () => {
      const partition: Fault = {
        family: 'partition',
        kind: 'halves',
        grudge: { n1: ['n2', 'n3'], n2: ['n1'], n3: ['n1'] },
      };
      const clock: Fault = {
        family: 'clock',
        mode: 'bump',
        offsetS: 3600,
        target: 'one',
        on: { nodes: ['n2'] },
      };
      const kill: Fault = { family: 'kill', target: 'one', on: { nodes: ['n3'] } };
      const schedule: Schedule = {
        seed: null,
        families: ['partition', 'clock', 'kill'],
        intervalMs: 1000,
        endMs: 60_000,
        entries: [
          { atMs: 1000, action: 'start', id: 0, fault: { ...partition }, durationMs: 50_000 },
          { atMs: 1100, action: 'start', id: 1, fault: { ...clock }, durationMs: 50_000 },
          { atMs: 1200, action: 'start', id: 2, fault: { ...kill }, durationMs: 50_000 },
          { atMs: 51_000, action: 'stop', id: 0, fault: { ...partition } },
          { atMs: 51_100, action: 'stop', id: 1, fault: { ...clock } },
          { atMs: 51_200, action: 'stop', id: 2, fault: { ...kill } },
          { atMs: 60_000, action: 'heal' },
        ],
      };
      const controller = new AbortController();
      const seen: Parameters<typeof interrupting>[3] = {};
      const r = await namedRun({
        ...base,
        signal: controller.signal,
        nemesis: interrupting(schedule, 'kill', controller, seen),
      });
      log('interrupted mid-partition', seen);
      expect(r.interrupted).toBe(true);
      // The faults were really in place...
      expect(seen.during?.n1?.dropRules).toBe(2);
      expect(seen.during?.n2?.dropRules).toBe(1);
      expect(Math.abs(seen.during!.n2!.clockSkewS - 3600)).toBeLessThan(5);
      expect(seen.during?.n3?.dbRunning).toBe(false);
      // ...and none is left once the run stopped.
      for (const node of ['n1', 'n2', 'n3']) {
        expect(seen.after?.[node]).toMatchObject({ dropRules: 0, paused: false, dbRunning: true });
        expect(Math.abs(seen.after![node]!.clockSkewS)).toBeLessThan(5);
      }
      const history = await readHistoryFile(r.historyPath, { format: 'jsonl' });
      const nemesis = finalHeal(history);
      expect(nemesis.at(-1)?.value).toMatchObject({ started: ['n3'], clocksReset: ['n2'] });
      expect(nemesisIntervals(history.ops).every((i) => i.end !== null)).toBe(true);
      expect(await leftovers(r.runId)).toBe(0);
    }, 120_000);

    it('a real SIGINT to the faultline binary mid-partition: everything healed and removed, history checkable', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'faultline-sigint-nemesis-'));
      const root = resolve(import.meta.dirname, '..', '..');
      const child = spawn(
        process.execPath,
        [
          join(root, 'dist/src/cli/main.js'),
          'run',
          '--runtime',
          'docker',
          '--target',
          'kvstore',
          '--nemesis',
          'partition,pause,clock',
          '--nemesis-interval',
          '1',
          '--time-limit',
          '120',
          '--rate',
          '200',
          '--concurrency',
          '4',
          '--seed',
          '11',
          '--reports',
          dir,
        ],
        { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
      const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
      let exitedEarly = false;
      void exited.then(() => (exitedEarly = true));
      // Wait until a partition is really in place (DROP rules inside a container).
      let runId: string | undefined;
      let during: Awaited<ReturnType<typeof inspect>> | undefined;
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && !exitedEarly) {
        runId ??= readdirSync(dir)[0];
        if (runId && stderr.includes('nemesis: partition')) {
          const seen = await inspect({ runId }).catch(() => undefined);
          if (seen && Object.values(seen).some((n) => n.dropRules > 0)) {
            during = seen;
            break;
          }
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(during, `no partition seen; stderr:\n${stderr}`).toBeDefined();
      const t0 = performance.now();
      child.kill('SIGINT');
      const code = await exited;
      log('SIGINT mid-partition', {
        during,
        exit: code,
        stopS: ((performance.now() - t0) / 1000).toFixed(1),
      });
      expect(performance.now() - t0).toBeLessThan(30_000);
      expect(stderr).toMatch(/SIGINT: stopping the run/);
      expect([0, 1, 2]).toContain(code);
      expect(stdout).toMatch(/\(interrupted\)/);

      // Nothing left: no container (so no paused one, no rule, no skewed clock inside), no
      // network, and no host firewall rule for the run's subnet.
      expect(await leftovers(runId!)).toBe(0);
      const meta = JSON.parse(readFileSync(join(dir, runId!, 'run.json'), 'utf8'));
      expect(meta.status).toBe('interrupted');
      const subnet = String(meta.cluster.subnet);
      const hostRules = spawnSync('iptables-save', [], { encoding: 'utf8' });
      if (hostRules.status === 0)
        expect(hostRules.stdout).not.toContain(subnet.split('/')[0]!.replace(/\.0$/, '.'));

      // The heal happened before the teardown, and is on record; the history checks.
      const history = await readHistoryFile(join(dir, runId!, 'history.jsonl'), { format: 'jsonl' });
      finalHeal(history);
      const intervals = nemesisIntervals(history.ops);
      expect(intervals.some((i) => i.kind === 'partition')).toBe(true);
      for (const i of intervals) expect(i.end).not.toBeNull();
      const results = JSON.parse(readFileSync(join(dir, runId!, 'results.json'), 'utf8'));
      expect(results.interrupted).toBe(true);
      expect([true, false]).toContain(results.valid);
      expect(results.nemesis).toEqual(intervals);
    }, 120_000);

    it('mid-pause', async () => {
      const pause: Fault = { family: 'pause', target: 'all', on: { nodes: ['n1', 'n2', 'n3'] } };
      const schedule: Schedule = {
        seed: null,
        families: ['pause'],
        intervalMs: 1000,
        endMs: 60_000,
        entries: [
          { atMs: 1000, action: 'start', id: 0, fault: { ...pause }, durationMs: 50_000 },
          { atMs: 51_000, action: 'stop', id: 0, fault: { ...pause } },
          { atMs: 60_000, action: 'heal' },
        ],
      };
      const controller = new AbortController();
      const seen: Parameters<typeof interrupting>[3] = {};
      const r = await namedRun({
        ...base,
        signal: controller.signal,
        nemesis: interrupting(schedule, 'pause', controller, seen),
      });
      expect(r.interrupted).toBe(true);
      for (const node of ['n1', 'n2', 'n3']) {
        expect(seen.after?.[node]).toMatchObject({ dropRules: 0, paused: false, dbRunning: true });
      }
      const history = await readHistoryFile(r.historyPath, { format: 'jsonl' });
      const nemesis = finalHeal(history);
      expect(nemesis.at(-1)?.value).toMatchObject({ resumed: ['n1', 'n2', 'n3'] });
      expect(await leftovers(r.runId)).toBe(0);
    }, 120_000);
  });
});
