/**
 * `faultline run --nemesis ...` as a user types it: bad or impossible nemeses are refused
 * before anything starts (exit 254, saying why); a real short run records the faults.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineStatus } from '../../src/runtime/docker/engine.js';
import { faultline } from '../cli/cli.js';

describe('faultline run --nemesis: refused before the run', () => {
  it('clock skew on etcd: Go reads the clock through the vDSO', async () => {
    const r = await faultline('run', '--target', 'etcd', '--nemesis', 'partition,clock', '--time-limit', '5');
    expect(r.code).toBe(254);
    expect(r.stderr).toMatch(/fault "clock" is not supported: etcd: .*vDSO/);
    expect(r.stderr).not.toMatch(/started|cluster ready/);
  });

  it('unknown families and shapes, and shapes without a nemesis', async () => {
    const flood = await faultline('run', '--target', 'kvstore', '--nemesis', 'partition,flood');
    expect(flood.code).toBe(254);
    expect(flood.stderr).toMatch(
      /unknown fault family "flood" \(known: partition, kill, pause, clock, loss, latency, bounce\)/,
    );
    const shape = await faultline(
      'run',
      '--target',
      'kvstore',
      '--nemesis',
      'partition',
      '--partitions',
      'halves,moat',
    );
    expect(shape.code).toBe(254);
    expect(shape.stderr).toMatch(/unknown shape "moat"/);
    const small = await faultline(
      'run',
      '--target',
      'kvstore',
      '--nodes',
      '2',
      '--nemesis',
      'partition',
      '--partitions',
      'bridge',
    );
    expect(small.code).toBe(254);
    expect(small.stderr).toMatch(/partition: none of bridge applies to 2 node\(s\)/);
    const alone = await faultline('run', '--target', 'kvstore', '--partitions', 'halves');
    expect(alone.code).toBe(254);
    expect(alone.stderr).toMatch(/need a nemesis/);
  });
});

const engine = await engineStatus();
if (!engine.ok) console.warn(`SKIPPING the Docker part of the nemesis CLI tests: ${engine.reason}`);

describe.skipIf(!engine.ok)('faultline run --nemesis on a real cluster', () => {
  it('records the faults in the history, run.json and results.json', async () => {
    const r = await faultline(
      'run',
      '--runtime',
      'docker',
      '--target',
      'etcd',
      '--nemesis',
      'partition,kill',
      '--nemesis-interval',
      '2',
      '--time-limit',
      '8',
      '--recovery-time',
      '1',
      '--rate',
      '200',
      '--seed',
      '3',
      '--reports',
      mkdtempSync(join(tmpdir(), 'faultline-nemesis-cli-')),
      '--json',
    );
    expect(r.code).toBe(0);
    const { dir } = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(r.stderr).toMatch(/nemesis: partition,kill every ~2 s: \d+ fault\(s\) scheduled/);
    expect(r.stderr).toMatch(/final heal done/);
    // The progress line names each phase after the workload's, in order.
    const phases = [...r.stderr.matchAll(/^\[([a-z ]+)\] \d+ s /gm)].map((m) => m[1]);
    const order = [...new Set(phases)];
    expect(order).toEqual([
      'starting',
      'running',
      'draining',
      'healing',
      'recovering',
      'final reads',
      'teardown',
      'checking',
      'done',
    ]);
    const meta = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    expect(meta.options.nemesis).toMatchObject({
      families: ['partition', 'kill'],
      intervalS: 2,
      recoveryS: 1,
    });
    expect(meta.faults.loss).toEqual({ supported: true });
    expect(meta.options.nemesis.summary.heal.healed).toBe(true);
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(results.nemesis.length).toBeGreaterThan(0);
    for (const i of results.nemesis) {
      expect(['partition', 'kill']).toContain(i.kind);
      expect(i.end).toBeGreaterThan(i.start);
    }
    const events = readFileSync(join(dir, 'history.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e.process === 'nemesis');
    expect(events.at(-1)).toMatchObject({ type: 'info', f: 'heal', value: { final: true } });
  }, 90_000);
});
