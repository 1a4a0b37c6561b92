/**
 * Campaign files without running anything: expansion (labels, stable ids, excludes,
 * overrides), one-line errors for bad fields, the shard split (disjoint, covering, balanced),
 * the examples, JUnit (parsed with a real XML parser), GitHub annotations, the node-log
 * checker, exit-code ranking, and a campaign on the in-memory runtime: valid, invalid and
 * harness-error cells, retried or not as they should be.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type CampaignSummary, runCampaign } from '../../src/campaign/execute.js';
import { annotations, stepSummary } from '../../src/campaign/github.js';
import { junitXml } from '../../src/campaign/junit.js';
import { loadCampaign } from '../../src/campaign/load.js';
import { expandCampaign, parseShard, shardCells } from '../../src/campaign/matrix.js';
import { checkNodeLogs, logPatternsFor } from '../../src/campaign/nodelogs.js';
import { type CellOutcome, worstExit } from '../../src/campaign/outcome.js';
import { ConfigError } from '../../src/config/load.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { validateRunOptions } from '../../src/runner/run.js';
import type { RuntimeFactory } from '../../src/runtime/runtime.js';
import type { Target } from '../../src/targets/types.js';
import { fakeWorld } from '../runner/fake-runtime.js';

const root = resolve(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'faultline-campaign-unit-'));
const expand = (input: unknown) => expandCampaign(input, 'c.yaml', 'c');

describe('expanding a campaign', () => {
  it('crosses every axis, with stable ids, excludes with reasons and overrides that match', () => {
    const m = expand({
      targets: ['kvstore', { label: 'quorum1', target: 'kvstore', options: { readQuorum: 1 } }],
      nemeses: ['none', 'partition,kill', { label: 'skew', nemesis: ['clock'], clockOffset: 5 }],
      seeds: 2,
      run: { timeLimit: 3, concurrency: 4 },
      exclude: [{ target: 'quorum1', nemesis: 'none', reason: 'boring' }],
      overrides: [{ nemesis: 'skew', seed: 2, run: { timeLimit: 9, targetOptions: { writeQuorum: 1 } } }],
    });
    expect(m.name).toBe('c');
    expect(m.cells).toHaveLength(2 * 3 * 2 - 2);
    expect(m.excluded.map((x) => x.id)).toEqual([
      'quorum1-register-none-local-s1',
      'quorum1-register-none-local-s2',
    ]);
    expect(m.excluded[0]!.reason).toBe('boring');
    const ids = m.cells.map((c) => c.id);
    expect(ids).toContain('kvstore-register-partition+kill-local-s1');
    expect(new Set(ids).size).toBe(ids.length);
    const skew2 = m.cells.find((c) => c.id === 'quorum1-register-skew-local-s2')!;
    // The override wins where it speaks; the base keeps the rest (concurrency), options merge key by key.
    expect(skew2.config).toMatchObject({
      timeLimit: 9,
      concurrency: 4,
      seed: 2,
      nemesis: ['clock'],
      clockOffset: 5,
      targetOptions: { readQuorum: 1, writeQuorum: 1 },
    });
    expect(m.cells.find((c) => c.id === 'kvstore-register-none-local-s1')!.config.nemesis).toBeUndefined();
    // Every cell resolves to run() options.
    for (const c of m.cells) validateRunOptions(resolveConfig(c.config, c.id));
  });

  it('says what is wrong in one line naming the field', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ targets: ['kvstore'], seedz: 3 }, /^c\.yaml: unknown field "seedz"$/],
      [{ targets: [] }, /^c\.yaml: targets: /],
      [{ targets: ['kvstore'], seeds: 0 }, /^c\.yaml: seeds/],
      [{ targets: ['kvstore'], run: { timeLimit: -1 } }, /^c\.yaml: run\.timeLimit: /],
      [{ targets: ['kvstore'], run: { seed: 3 } }, /^c\.yaml: run: unknown field "seed"/],
      [
        { targets: ['kvstore'], exclude: [{ target: 'etcd' }] },
        /exclude\.0\.target: no target labelled "etcd"/,
      ],
      [{ targets: ['kvstore', 'kvstore'] }, /target label "kvstore" appears twice/],
      [{ targets: [{ label: 'a/b', target: 'kvstore' }] }, /targets\.0/],
      [{ targets: ['kvstore'], exclude: [{ target: 'kvstore' }] }, /every cell is excluded/],
      [{ targets: ['kvstore'], logPatterns: ['(['] }, /logPatterns\.0: not a valid regular expression/],
    ];
    for (const [input, message] of bad) {
      let error: unknown;
      try {
        expand(input);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(input)).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('\n');
    }
  });

  it('loads YAML and TypeScript campaigns; bad YAML is one line', async () => {
    const yaml = join(tmp, 'q.campaign.yaml');
    writeFileSync(yaml, 'targets: [kvstore]\nnemeses: [partition, kill]\nseeds: [7, 9]\n');
    const m = await loadCampaign(yaml);
    expect(m.name).toBe('q');
    expect(m.cells.map((c) => c.id)).toEqual([
      'kvstore-register-partition-local-s7',
      'kvstore-register-partition-local-s9',
      'kvstore-register-kill-local-s7',
      'kvstore-register-kill-local-s9',
    ]);
    const broken = join(tmp, 'broken.yml');
    writeFileSync(broken, 'targets: [kvstore\n');
    await expect(loadCampaign(broken)).rejects.toThrow(/^.*broken\.yml: not valid YAML: [^\n]*$/);
    await expect(loadCampaign(join(tmp, 'none.yaml'))).rejects.toThrow(/no such campaign file/);
  });

  it('the examples: 24 cells of etcd and the kvstore, the 6 a runtime or target refuses excluded with why', async () => {
    const m = await loadCampaign(join(root, 'examples/campaign.config.ts'));
    expect(m.name).toBe('nightly');
    expect(m.cells).toHaveLength(24);
    expect(m.excluded).toHaveLength(6);
    expect(m.excluded.every((x) => x.labels.target === 'etcd' && /vDSO|proxy/.test(x.reason ?? ''))).toBe(
      true,
    );
    for (const c of m.cells) validateRunOptions(resolveConfig(c.config, c.id));
    const smoke = await loadCampaign(join(root, 'examples/campaign.yaml'));
    expect(smoke.cells).toHaveLength(12);
  });
});

describe('shards', () => {
  it('parses i/n and refuses anything else', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    for (const bad of ['0/3', '4/3', '1/0', '1', 'a/b', '1/2/3'])
      expect(() => parseShard(bad)).toThrow(/--shard/);
  });

  it('1/n..n/n are disjoint, cover every cell, and differ in size by at most one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 12 }), (cells, n) => {
        const all = Array.from({ length: cells }, (_, i) => `c${i}`);
        const shards = Array.from({ length: n }, (_, i) => shardCells(all, { index: i + 1, count: n }));
        const union = shards.flat();
        expect(union.sort()).toEqual([...all].sort());
        expect(new Set(union).size).toBe(union.length);
        const sizes = shards.map((s) => s.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        // Deterministic: the same split again.
        expect(shardCells(all, { index: 1, count: n })).toEqual(shards[0]);
      }),
    );
  });
});

const outcome = (id: string, status: CellOutcome['status'], summary: string = status): CellOutcome => ({
  id,
  labels: { target: 'kvstore', workload: 'register', nemesis: 'none', runtime: 'local', seed: 1 },
  status,
  exitCode: { valid: 0, invalid: 1, unknown: 2, interrupted: 2, error: 255, 'not-run': 0 }[status],
  summary,
  dir: id,
  attempts: status === 'error' ? 2 : 1,
  durationS: 1.5,
  ...(status === 'error' ? { trouble: 'not-ready' as const } : {}),
});

const summaryOf = (cells: CellOutcome[]): CampaignSummary => ({
  campaign: 'x',
  dir: '/r/x',
  shard: null,
  start: '2026-01-01T00:00:00.000Z',
  end: '2026-01-01T00:01:00.000Z',
  durationS: 60,
  stopped: null,
  exitCode: worstExit(cells.map((c) => c.exitCode)),
  counts: {
    cells: cells.length,
    valid: 0,
    invalid: 0,
    unknown: 0,
    error: 0,
    interrupted: 0,
    notRun: 0,
    excluded: 0,
  },
  cells,
  excluded: [],
});

describe('CI outputs', () => {
  it('exit code: harness trouble over invalid over unknown over valid', () => {
    expect(worstExit([])).toBe(0);
    expect(worstExit([0, 2, 0])).toBe(2);
    expect(worstExit([2, 1, 0])).toBe(1);
    expect(worstExit([1, 255, 2])).toBe(255);
    expect(worstExit([1, 254])).toBe(254);
  });

  it('JUnit: failure for invalid, error for harness trouble, skipped for unknown; escaped; parses', () => {
    const s = summaryOf([
      outcome('a', 'valid'),
      outcome('b', 'invalid', 'linearizable: read → 3 <cannot> be "linearized" & \u0007bell'),
      outcome('c', 'error', 'cluster never became ready: boom'),
      outcome('d', 'unknown'),
      outcome('e', 'not-run'),
    ]);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(junitXml(s));
    const suite = doc.testsuites.testsuite;
    expect(suite).toMatchObject({ tests: '5', failures: '1', errors: '1', skipped: '2' });
    const cases = suite.testcase as Array<Record<string, Record<string, string> | string>>;
    expect(cases.map((c) => c.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect((cases[1]!.failure as Record<string, string>).message).toBe(
      'linearizable: read → 3 <cannot> be "linearized" & ?bell',
    );
    expect((cases[2]!.error as Record<string, string>).type).toBe('not-ready');
    expect(cases[3]!.skipped).toBeDefined();
    expect(cases[0]!.failure).toBeUndefined();
  });

  it('GitHub: an annotation per invalid or errored cell (escaped), a Markdown table', () => {
    const s = summaryOf([
      outcome('a', 'valid'),
      outcome('b', 'invalid', 'lost 50%\nwrites, a:b'),
      outcome('c', 'error'),
    ]);
    const lines = annotations(s, 'ci/c.yaml');
    expect(lines).toEqual([
      '::error file=ci/c.yaml,title=b%3A invalid::lost 50%25%0Awrites, a:b',
      '::error file=ci/c.yaml,title=c%3A harness error::error',
    ]);
    const md = stepSummary(s);
    expect(md).toContain('| `b` | ❌ invalid | 1.5 s | lost 50% writes, a:b |');
    expect(md.split('\n').filter((l) => l.startsWith('| `'))).toHaveLength(3);
  });
});

describe('node-log checker', () => {
  it('flags generic, target and user patterns with file:line; clean logs are valid', async () => {
    const dir = join(tmp, 'run1');
    mkdirSync(join(dir, 'nodes'), { recursive: true });
    writeFileSync(join(dir, 'nodes', 'n1.log'), 'starting\nall good\n');
    writeFileSync(
      join(dir, 'nodes', 'n2.log'),
      'ok\npanic: runtime error: index out of range\ngoroutine 1\n',
    );
    writeFileSync(join(dir, 'nodes', 'n3.log'), 'ok\nINVARIANT violated: two leaders\n');
    const r = await checkNodeLogs(dir, logPatternsFor(['two leaders']));
    expect(r.valid).toBe(false);
    expect(r.count).toBe(2);
    expect(r.summary).toBe(
      'nodes/n2.log:2: panic: runtime error: index out of range (and 1 more matching line)',
    );
    writeFileSync(join(dir, 'nodes', 'n2.log'), 'ok\n');
    writeFileSync(join(dir, 'nodes', 'n3.log'), 'ok\n');
    expect((await checkNodeLogs(dir, logPatternsFor(undefined))).valid).toBe(true);
  });
});

describe('a campaign on the in-memory runtime', () => {
  it('valid, invalid and harness-error cells: errors retried once, invalid never; exit 255', async () => {
    const good = fakeWorld();
    const stale = fakeWorld({ stale: true });
    const broken: Target = {
      ...good.target,
      name: 'broken',
      deploy: () => {
        throw new Error('no such binary');
      },
    };
    const runtimeOf = (w: ReturnType<typeof fakeWorld>): RuntimeFactory => ({
      name: 'fake',
      description: 'in memory',
      options: z.object({}),
      create: () => w.runtime,
    });
    // One world per target (each keeps its own cluster), so each target gets its own runtime.
    const m = expand({
      name: 'fakes',
      targets: [
        { label: 'good', target: good.target },
        { label: 'stale', target: stale.target },
        { label: 'broken', target: broken },
      ],
      runtimes: [
        { label: 'g', runtime: runtimeOf(good) },
        { label: 's', runtime: runtimeOf(stale) },
      ],
      exclude: [
        { target: 'good', runtime: 's' },
        { target: ['stale', 'broken'], runtime: 'g' },
      ],
      run: { timeLimit: 0.6, concurrency: 3, workloadOptions: { mix: { read: 1, write: 1, cas: 0 } } },
    });
    expect(m.cells.map((c) => c.id)).toEqual([
      'good-register-none-g-s1',
      'stale-register-none-s-s1',
      'broken-register-none-s-s1',
    ]);
    const reports = join(tmp, 'reports');
    const s = await runCampaign(m, { reportsDir: reports, retries: 1 });
    const by = Object.fromEntries(s.cells.map((c) => [c.id.split('-')[0], c]));
    expect(by.good).toMatchObject({ status: 'valid', attempts: 1 });
    expect(by.stale).toMatchObject({ status: 'invalid', attempts: 1, exitCode: 1 });
    expect(by.broken).toMatchObject({ status: 'error', attempts: 2, trouble: 'not-ready', exitCode: 255 });
    expect(by.broken!.summary).toMatch(/cluster never became ready: no such binary/);
    expect(s.exitCode).toBe(255);
    expect(s.counts).toMatchObject({ cells: 3, valid: 1, invalid: 1, error: 1, excluded: 3 });
    const onDisk = JSON.parse(readFileSync(join(reports, 'fakes', 'summary.json'), 'utf8'));
    expect(onDisk.counts).toEqual(s.counts);
    // The node-log checker joined the run's results.
    const results = JSON.parse(
      readFileSync(join(reports, 'fakes', 'good-register-none-g-s1', 'results.json'), 'utf8'),
    );
    expect(results.results['node-logs'].valid).toBe(true);
    const matrix = readFileSync(join(reports, 'fakes', 'index.html'), 'utf8');
    expect(matrix).toContain('href="./stale-register-none-s-s1/index.html"');
    expect(matrix).toContain('c-invalid');
    expect(matrix).toContain('c-excluded');
    expect(readFileSync(join(reports, 'index.html'), 'utf8')).toContain(
      'href="./fakes/stale-register-none-s-s1/index.html"',
    );
  }, 30_000);

  it('a cell a target refuses stops the campaign before anything starts, saying how to exclude it', async () => {
    const m = expand({ name: 'refused', targets: ['etcd'], nemeses: ['clock'] });
    await expect(runCampaign(m, { reportsDir: join(tmp, 'refused') })).rejects.toThrow(
      /^cell etcd-register-clock-local-s1: .*vDSO.*\(exclude it: \{ target: 'etcd', nemesis: 'clock', runtime: 'local' \}\)$/,
    );
  });
});
