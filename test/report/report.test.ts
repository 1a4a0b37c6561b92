import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHistory } from '../../src/history/read.js';
import { renderReport } from '../../src/report/page.js';
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

describe('HTML report', () => {
  it('shows the verdict, the evidence and the timeline, with values escaped', () => {
    const html = renderReport({
      title: 'a <run>',
      valid: false,
      history,
      results: {
        linearizable: {
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
    expect(html).not.toContain('<script>');
    expect(html).toContain('No order of operations explains <b>process 1 read → 9</b>');
    expect(html).toContain('process 0 write &lt;b&gt;');
    expect(html).toContain('class="badge bad"');
    expect(html).toMatch(/<svg class="timeline"/);
    expect(html).toContain('class="info hl"'); // the never-completed read the evidence names, outlined
    expect(html).toContain('<td>partition</td>');
  });

  it('renders a history of 2×10^5 operations (no argument spreading that overflows the stack)', () => {
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
        value: 1,
      });
    }
    const highlight = Array.from({ length: 200_000 }, (_, i) => 2 * i);
    const html = renderReport({
      title: 'big',
      valid: true,
      history: { ops, realTime: true },
      results: {
        x: {
          valid: false,
          failures: [{ key: null, valid: false, concurrent: highlight.map((i) => ({ invokeIndex: i })) }],
        },
      },
    });
    expect(html).toContain('Showing operations');
    expect(html).toContain('<h3>Latency</h3>');
  });

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
