import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLinearizableSync } from '../../src/checker/linearizable/index.js';
import { pairOperations } from '../../src/history/operations.js';
import { parseHistory } from '../../src/history/read.js';
import { renderCheckerSection, rendererFor, renderers } from '../../src/report/checkers.js';
import { renderReport } from '../../src/report/page.js';
import { renderRunTable } from '../../src/report/runtable.js';
import { packTimeline, type TimelineMeta, unpackTimeline } from '../../src/report/timeline.js';
import { faultline } from '../cli/cli.js';
import { PEERS } from '../peers.js';

const history = parseHistory(
  [
    '{"index":0,"time":0,"process":0,"type":"invoke","f":"write","key":"x","value":"<script>alert(1)</script>"}',
    '{"index":1,"time":5,"process":0,"type":"ok","f":"write","key":"x","value":"<script>alert(1)</script>"}',
    '{"index":2,"time":6,"process":"nemesis","type":"info","f":"partition","value":{"n1":["n2"]}}',
    '{"index":3,"time":7,"process":1,"type":"invoke","f":"read","key":"x","value":null}',
  ].join('\n'),
  'h.jsonl',
);

const timelineMeta = (html: string): TimelineMeta =>
  JSON.parse(html.match(/<script type="application\/json" id="timeline-meta">(.*?)<\/script>/s)![1]!);

describe('HTML report', () => {
  it('shows the verdict, the evidence and the timeline, with values escaped', () => {
    const html = renderReport({
      title: 'a <run>',
      valid: false,
      history,
      results: {
        linearizable: {
          checker: 'linearizable',
          valid: false,
          summary: 'not linearizable',
          failures: [
            {
              key: 'x',
              valid: false,
              op: { description: 'process 1 read → 9', invokeIndex: 3 },
              concurrent: [],
              longest: [[{ op: { description: 'process 0 write <b>' }, state: '"<script>"' }]],
            },
          ],
        },
      },
    });
    expect(html).toContain('<title>a &lt;run&gt;</title>');
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('No order of operations explains process 1 read → 9');
    expect(html).toContain('process 0 write &lt;b&gt;');
    expect(html).toContain('class="badge bad"');
    expect(html).toContain('<canvas id="timeline"');
    expect(html).toContain('<td>partition</td>');
    const meta = timelineMeta(html);
    expect(meta.anomalies).toEqual([
      { title: 'not linearizable', text: 'No order explains process 1 read → 9.', ops: [1], key: 'x' },
    ]);
  });

  it('packs every operation of a 2×10^5-operation history into the timeline', () => {
    const ops = [];
    for (let i = 0; i < 200_000; i++) {
      const process = i % 10;
      ops.push({
        index: 2 * i,
        time: 2 * i * 1000,
        process,
        type: 'invoke' as const,
        f: 'read',
        value: null,
      });
      ops.push({
        index: 2 * i + 1,
        time: (2 * i + 1) * 1000,
        process,
        type: 'ok' as const,
        f: 'read',
        value: i,
      });
    }
    // A compare-and-set, an object value and a never-completed write at the end.
    ops.push({
      index: 400_000,
      time: 400_000_000,
      process: 3,
      type: 'invoke' as const,
      f: 'cas',
      value: [7, 8],
    });
    ops.push({ index: 400_001, time: 400_001_000, process: 3, type: 'ok' as const, f: 'cas', value: [7, 8] });
    ops.push({
      index: 400_002,
      time: 400_002_000,
      process: 4,
      type: 'invoke' as const,
      f: 'write',
      value: { a: -1.5 },
    });
    ops.push({
      index: 400_003,
      time: 400_003_000,
      process: 4,
      type: 'fail' as const,
      f: 'write',
      value: { a: -1.5 },
    });
    ops.push({
      index: 400_004,
      time: 400_004_000,
      process: 5,
      type: 'invoke' as const,
      f: 'write',
      value: -3,
    });
    const h = { ops, realTime: true };
    const { meta, data, values } = packTimeline(h, [], []);
    const t = unpackTimeline(meta, data, values);
    expect(meta.count).toBe(200_003);
    expect(meta.lanes).toBe(10);
    expect(t.start[199_999]! * meta.unit).toBe(2 * 199_999 * 1000);
    expect(t.dur[5]! * meta.unit).toBe(1000);
    expect(t.input(123)).toBe(null);
    expect(t.output(123)).toBe(123);
    expect([t.type[200_000], t.input(200_000), t.output(200_000)]).toEqual(['ok', [7, 8], [7, 8]]);
    expect([t.type[200_001], t.input(200_001), t.output(200_001)]).toEqual(['fail', { a: -1.5 }, undefined]);
    expect([t.type[200_002], t.input(200_002), t.dur[200_002]]).toEqual(['info', -3, meta.open]);
    // Every row agrees with the paired operations.
    const pairs = pairOperations(h);
    const t0 = h.ops[0]!.time;
    pairs.forEach((o, i) => {
      expect(t.start[i]).toBe(Math.round((o.invoke.time - t0) / meta.unit));
      expect(t.proc[i]).toBe(o.process);
    });
    const html = renderReport({ title: 'big', valid: true, history: h, results: {} });
    expect(html).toContain('<h3>Latency</h3>');
  });

  it('lanes: a process retired by an info completion hands its lane on', () => {
    const h = parseHistory(
      [
        '{"index":0,"time":0,"process":0,"type":"invoke","f":"write","value":1}',
        '{"index":1,"time":1,"process":0,"type":"info","f":"write","value":1}',
        '{"index":2,"time":2,"process":5,"type":"invoke","f":"read","value":null}',
        '{"index":3,"time":3,"process":1,"type":"invoke","f":"read","value":null}',
        '{"index":4,"time":4,"process":5,"type":"ok","f":"read","value":1}',
        '{"index":5,"time":5,"process":1,"type":"ok","f":"read","value":1}',
      ].join('\n'),
      'h.jsonl',
    );
    const { meta } = packTimeline(h, [], []);
    expect(meta.lanes).toBe(2);
    expect(meta.laneLabels).toEqual(['0, 5', '1']);
  });
});

describe('results rendered by their checker', () => {
  const ctx = { history, intervals: [] };
  it('a result names its checker; the name it is filed under is the fallback', () => {
    const stats = {
      valid: true,
      total: { count: 2, ok: 1, fail: 1, info: 0 },
      byF: { read: { count: 2, ok: 1, fail: 1, info: 0 } },
    };
    expect(renderCheckerSection('mine', { ...stats, checker: 'stats' }, ctx)).toContain(
      '<th>read</th><td>2</td><td>1</td>',
    );
    expect(renderCheckerSection('stats', stats, ctx)).toContain('<th>total</th>');
    expect(rendererFor('x', { valid: true, checker: 'perf' })).toBe(renderers.perf);
  });

  it('an unknown checker gets its summary and a folded JSON view', () => {
    const html = renderCheckerSection(
      'set',
      { valid: false, checker: 'set', summary: 'lost 3', lost: [1, 2, 3] },
      ctx,
    );
    expect(html).toContain('<p class="summary">lost 3</p>');
    expect(html).toMatch(/<details><summary>Full result \(JSON\)<\/summary><pre>[^<]*&quot;lost&quot;/);
  });

  it('a linearizability witness comes first, in plain words, with the faults active then', () => {
    const h = parseHistory(
      [
        '{"index":0,"time":1000000000,"process":0,"type":"invoke","f":"write","key":"k","value":1,"node":"n1"}',
        '{"index":1,"time":1100000000,"process":0,"type":"ok","f":"write","key":"k","value":1,"node":"n1"}',
        '{"index":2,"time":1200000000,"process":"nemesis","type":"info","f":"partition","value":{"fault":1,"kind":"halves","grudge":{"n1":["n2"],"n2":["n1"]},"nodes":["n1","n2"]}}',
        '{"index":3,"time":1300000000,"process":0,"type":"invoke","f":"write","key":"k","value":2,"node":"n1"}',
        '{"index":4,"time":1400000000,"process":0,"type":"ok","f":"write","key":"k","value":2,"node":"n1"}',
        '{"index":5,"time":1500000000,"process":1,"type":"invoke","f":"read","key":"k","value":null,"node":"n2"}',
        '{"index":6,"time":1600000000,"process":1,"type":"ok","f":"read","key":"k","value":1,"node":"n2"}',
        '{"index":7,"time":1700000000,"process":1,"type":"invoke","f":"read","key":"k","value":null,"node":"n2"}',
        '{"index":8,"time":1800000000,"process":1,"type":"ok","f":"read","key":"k","value":2,"node":"n2"}',
      ].join('\n'),
      'h.jsonl',
    );
    const result = checkLinearizableSync(h, { model: 'cas-register' });
    const html = renderReport({ title: 't', valid: false, history: h, results: { linearizable: result } });
    const what = html.slice(html.indexOf('<h2>What went wrong</h2>'), html.indexOf('<h2>Timeline</h2>'));
    expect(what).toContain('1. stale read');
    expect(what).toContain('process 1 on n2 (1.500 s–1.600 s, events 5–6)');
    expect(what).toContain('Faults active then: partition halves on n1, n2 (1.200 s–end)');
    expect(what).toContain('These 3 operations alone cannot be ordered');
    const meta = timelineMeta(html);
    expect(meta.anomalies[0]!.ops).toEqual([0, 1, 2]);
    // The search's longest partial linearization, as rows, and the read it got stuck at.
    const f = result.failures[0]!;
    expect(meta.partials.length).toBe(f.longest.length);
    expect(meta.partials[0]!.key).toBe('k');
    expect(meta.partials[0]!.ops).toEqual(f.longest[0]!.map((s) => [0, 3, 5, 7].indexOf(s.op.invokeIndex)));
    expect(meta.partials[0]!.stuck).toBe([0, 3, 5, 7].indexOf(f.op!.invokeIndex));
    expect(meta.partials[0]!.states).toEqual(f.longest[0]!.map((s) => s.state));
    expect(html).toContain('id="tl-partial"');
  });
});

describe('run table', () => {
  it('formats run.json as people read it, raw JSON folded', () => {
    const html = renderRunTable({
      runId: 'r1',
      target: 'etcd',
      topology: 'cluster',
      nodes: ['n1', 'n2', 'n3'],
      workload: 'register',
      options: {
        concurrency: 10,
        rate: 0,
        timeLimitS: 30,
        nemesis: { families: ['partition', 'kill'], intervalS: 10 },
      },
      seed: 42,
      versions: { faultline: '0.1.0', node: 'v20.1.0', etcd: '3.5.9' },
      start: '2024-01-01T00:00:00.000Z',
      end: '2024-01-01T00:00:45.500Z',
      workloadSeconds: 30,
      counts: { ok: 90, fail: 5, info: 5 },
      opsPerSecond: 3,
      status: 'completed',
    });
    expect(html).toContain('<th>nodes</th><td>3: n1, n2, n3</td>');
    expect(html).toContain('<th>nemesis</th><td>families partition, kill · intervalS 10</td>');
    expect(html).toContain('<th>when</th><td>2024-01-01 00:00:00 UTC, 45.5 s in all, 30 s of workload</td>');
    expect(html).toContain('<th>counts</th><td>100 operations: 90 ok, 5 fail, 5 info, 3 ops/s</td>');
    expect(html).toContain('<th>versions</th><td>faultline 0.1.0 · node v20.1.0 · etcd 3.5.9</td>');
    expect(html).toContain('<details><summary>run.json</summary>');
  });
});

describe('reports on disk', () => {
  it('faultline report renders a run directory and the runs index', async () => {
    const reports = mkdtempSync(join(tmpdir(), 'faultline-reports-'));
    const run = join(reports, 'run-1');
    mkdirSync(run);
    writeFileSync(join(run, 'history.jsonl'), readFileSync('examples/cas-register.jsonl'));
    writeFileSync(join(run, 'run.json'), JSON.stringify({ target: 'kvstore', workload: 'register' }));
    writeFileSync(
      join(run, 'results.json'),
      JSON.stringify({ valid: true, results: { stats: { valid: true, summary: '7 operations' } } }),
    );
    const r = await faultline('report', run);
    expect(r.code).toBe(0);
    expect(readFileSync(join(run, 'index.html'), 'utf8')).toContain('7 operations');
    const index = readFileSync(join(reports, 'index.html'), 'utf8');
    expect(index).toContain('run-1/index.html');
    expect(index).toContain('kvstore');
  });

  it('faultline check --report writes the evidence of an invalid peer history', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'faultline-report-')), 'r.html');
    const file = join(PEERS, 'knossos/data/cas-register/bad/cas-failure.edn');
    const r = await faultline('check', file, '--checker', 'stats', '--report', out);
    expect(r.code).toBe(1);
    expect(existsSync(out)).toBe(true);
    expect(readFileSync(out, 'utf8')).toContain('never succeeded: cas');
  });

  it('faultline report on a directory without a history is bad input', async () => {
    const r = await faultline('report', mkdtempSync(join(tmpdir(), 'faultline-empty-')));
    expect(r.code).toBe(254);
    expect(r.stderr).toContain('not a run directory');
  });
});
