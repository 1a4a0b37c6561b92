import { describe, expect, it } from 'vitest';
import { nemesisIntervals } from '../../src/nemesis/record.js';
import { generateSchedule } from '../../src/nemesis/schedule.js';
import type { Fault, Schedule } from '../../src/nemesis/types.js';
import { runNemesis } from '../../src/nemesis/worker.js';
import { Recorder } from '../../src/runner/recorder.js';
import { fakeCluster } from './fake-cluster.js';

const recorder = () => new Recorder({ write: () => {} }, { keep: true });

const fixed = (entries: Schedule['entries'], endMs: number): Schedule => ({
  seed: null,
  families: [],
  intervalMs: 10,
  endMs,
  entries: [...entries, { atMs: endMs, action: 'heal' }],
});

describe('nemesis worker', () => {
  it('plays a schedule, records each action as a nemesis info event, heals at the end', async () => {
    const cluster = fakeCluster(5);
    const rec = recorder();
    const schedule = generateSchedule({
      families: ['partition', 'kill', 'pause', 'clock', 'loss'],
      intervalS: 0.04,
      durationS: 1,
      nodes: cluster.nodes.map((n) => n.name),
      hasPrimary: true,
      seed: 42,
    });
    const starts = schedule.entries.filter((e) => e.action === 'start').length;
    expect(starts).toBeGreaterThan(5);
    const summary = await runNemesis({ cluster, recorder: rec, schedule, primaries: async () => ['n3'] });
    expect(summary.skipped).toBe(0);
    expect(summary.heal.healed).toBe(true);
    const ops = rec.kept!;
    for (const op of ops) {
      expect(op.process).toBe('nemesis');
      expect(op.type).toBe('info');
    }
    // One event per start, one per stop, one final heal.
    expect(ops).toHaveLength(2 * starts + 1);
    const last = ops.at(-1)!;
    expect(last.f).toBe('heal');
    expect(last.value).toMatchObject({ final: true, nodes: ['n1', 'n2', 'n3', 'n4', 'n5'] });
    expect(cluster.calls.at(-1)).toBe('healAll');
    expect(cluster.state).toMatchObject({ grudge: {}, killed: new Set(), paused: new Set() });
    expect(cluster.state.clocks.size).toBe(0);
    const fs = new Set(ops.map((o) => o.f));
    for (const f of ['partition', 'kill', 'start', 'pause', 'resume']) expect(fs).toContain(f);
    // Intervals rebuilt from the history: one per start, each closed.
    const intervals = nemesisIntervals(ops);
    expect(intervals).toHaveLength(starts);
    for (const i of intervals) {
      expect(i.end).not.toBeNull();
      expect(i.end!).toBeGreaterThanOrEqual(i.start);
      expect(i.nodes.length).toBeGreaterThan(0);
    }
  });

  it('records what was done to which node, primaries resolved at run time', async () => {
    const cluster = fakeCluster(3);
    const rec = recorder();
    await runNemesis({
      cluster,
      recorder: rec,
      primaries: async () => ['n2'],
      schedule: fixed(
        [
          {
            atMs: 0,
            action: 'start',
            id: 0,
            fault: { family: 'partition', kind: 'primary', grudge: null },
            durationMs: 5,
          },
          { atMs: 5, action: 'stop', id: 0, fault: { family: 'partition', kind: 'primary', grudge: null } },
          {
            atMs: 6,
            action: 'start',
            id: 1,
            fault: { family: 'clock', mode: 'bump', offsetS: -30, target: 'one', on: { nodes: ['n3'] } },
            durationMs: 5,
          },
          {
            atMs: 11,
            action: 'stop',
            id: 1,
            fault: { family: 'clock', mode: 'bump', offsetS: -30, target: 'one', on: { nodes: ['n3'] } },
          },
          {
            atMs: 12,
            action: 'start',
            id: 2,
            fault: { family: 'kill', target: 'primaries', on: { primaries: true } },
            durationMs: 5,
          },
          {
            atMs: 17,
            action: 'stop',
            id: 2,
            fault: { family: 'kill', target: 'primaries', on: { primaries: true } },
          },
        ],
        20,
      ),
    });
    const ops = rec.kept!.map(({ f, value }) => {
      const { tookMs: _, ...rest } = value as Record<string, unknown>;
      return { f, value: rest };
    });
    expect(ops).toEqual([
      {
        f: 'partition',
        value: {
          fault: 0,
          kind: 'primary',
          grudge: { n1: ['n2'], n2: ['n1', 'n3'], n3: ['n2'] },
          nodes: ['n1', 'n2', 'n3'],
        },
      },
      { f: 'heal', value: { fault: 0, of: 'partition', nodes: ['n1', 'n2', 'n3'] } },
      { f: 'clock-bump', value: { fault: 1, nodes: ['n3'], offset: -30 } },
      { f: 'clock-reset', value: { fault: 1, nodes: ['n3'] } },
      { f: 'kill', value: { fault: 2, target: 'primaries', nodes: ['n2'] } },
      { f: 'start', value: { fault: 2, target: 'primaries', nodes: ['n2'] } },
      {
        f: 'heal',
        value: {
          final: true,
          nodes: ['n1', 'n2', 'n3'],
          network: true,
          resumed: [],
          started: [],
          clocksReset: [],
        },
      },
    ]);
    expect(cluster.calls).toContain('clock n3 {"kind":"offset","seconds":-30}');
    expect(cluster.calls).toContain('kill n2');
    const intervals = nemesisIntervals(rec.kept!);
    expect(intervals.map((i) => [i.kind, i.detail, i.nodes])).toEqual([
      ['partition', 'primary', ['n1', 'n2', 'n3']],
      ['clock', 'bump -30 s', ['n3']],
      ['kill', 'primaries', ['n2']],
    ]);
    expect(intervals[0]!.grudge).toEqual({ n1: ['n2'], n2: ['n1', 'n3'], n3: ['n2'] });
    expect(intervals[1]!.grudge).toBeUndefined();
  });

  it('cut short mid-partition: skips the rest, heals everything, the open fault ends at the heal', async () => {
    const cluster = fakeCluster(3);
    const rec = recorder();
    const abort = new AbortController();
    const partition: Fault = {
      family: 'partition',
      kind: 'halves',
      grudge: { n1: ['n2', 'n3'], n2: ['n1'], n3: ['n1'] },
    };
    const kill: Fault = { family: 'kill', target: 'one', on: { nodes: ['n2'] } };
    const done = runNemesis({
      cluster,
      recorder: rec,
      signal: abort.signal,
      schedule: fixed(
        [
          { atMs: 0, action: 'start', id: 0, fault: kill, durationMs: 10_000 },
          { atMs: 1, action: 'start', id: 1, fault: partition, durationMs: 10_000 },
          { atMs: 10_000, action: 'stop', id: 0, fault: kill },
          { atMs: 10_001, action: 'stop', id: 1, fault: partition },
        ],
        20_000,
      ),
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(cluster.state.grudge).toEqual(partition.grudge);
    expect(cluster.state.killed).toEqual(new Set(['n2']));
    abort.abort();
    const summary = await done;
    expect(summary.skipped).toBe(2);
    expect(cluster.state.grudge).toEqual({});
    expect(cluster.state.killed.size).toBe(0);
    const last = rec.kept!.at(-1)!;
    expect(last.value).toMatchObject({ final: true, started: ['n2'] });
    const intervals = nemesisIntervals(rec.kept!);
    expect(intervals).toHaveLength(2);
    for (const i of intervals) expect(i.end).toBe(last.time);
  });

  it('a node that refuses is recorded as an error, the rest goes on, the heal is retried', async () => {
    let healAllFailures = 1;
    const cluster = fakeCluster(3, {
      failOn: (call) => call === 'pause n2' || (call === 'healAll' && healAllFailures-- > 0),
    });
    const rec = recorder();
    const pause: Fault = { family: 'pause', target: 'all', on: { nodes: ['n1', 'n2', 'n3'] } };
    const summary = await runNemesis({
      cluster,
      recorder: rec,
      schedule: fixed(
        [
          { atMs: 0, action: 'start', id: 0, fault: pause, durationMs: 5 },
          { atMs: 5, action: 'stop', id: 0, fault: pause },
        ],
        10,
      ),
    });
    expect(summary.errors).toBe(1);
    expect(rec.kept![0]!.error).toMatch(/n2: refused: pause n2/);
    expect(cluster.state.paused.size).toBe(0);
    expect(summary.heal).toMatchObject({ healed: true, attempts: 2 });
    const intervals = nemesisIntervals(rec.kept!);
    expect(intervals[0]!.errors).toHaveLength(1);
  });

  it('no primary to aim at: recorded, nothing applied', async () => {
    const cluster = fakeCluster(3);
    const rec = recorder();
    const fault: Fault = { family: 'partition', kind: 'primary', grudge: null };
    await runNemesis({
      cluster,
      recorder: rec,
      primaries: async () => [],
      schedule: fixed(
        [
          { atMs: 0, action: 'start', id: 0, fault, durationMs: 5 },
          { atMs: 5, action: 'stop', id: 0, fault },
        ],
        6,
      ),
    });
    expect(rec.kept![0]).toMatchObject({ f: 'partition', error: 'no primary found' });
    expect(cluster.calls.filter((c) => c.startsWith('partition'))).toHaveLength(0);
  });
});
