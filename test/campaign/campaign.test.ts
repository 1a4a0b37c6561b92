/**
 * `faultline campaign` and `faultline recheck` as a user runs them, on the local runtime (no
 * Docker): the 12-cell example (examples/campaign.yaml: the kvstore in both modes × no fault,
 * partitions, kills × 2 seeds, 2 s cells) with --parallel 2, Ctrl-C after a few cells, then
 * --resume runs only the cells without a verdict; JUnit parsed with a real XML parser matches
 * summary.json; recheck reproduces every verdict; the shards' --list is the cell set; harness
 * trouble (a deployment that fails, clients that never connect) exits 255, retried once, with
 * GitHub annotations and a job summary; a bad field exits 254 with one line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { CampaignSummary } from '../../src/campaign/execute.js';
import type { CellOutcome } from '../../src/campaign/outcome.js';
import { BIN, faultline } from '../cli/cli.js';

const root = resolve(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'faultline-campaign-'));
const example = join(root, 'examples/campaign.yaml');

const readSummary = (dir: string): CampaignSummary =>
  JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
const outcomes = (dir: string): CellOutcome[] =>
  (existsSync(dir) ? readdirSync(dir) : [])
    .filter((d) => existsSync(join(dir, d, 'outcome.json')))
    .map((d) => JSON.parse(readFileSync(join(dir, d, 'outcome.json'), 'utf8')));

function junit(dir: string) {
  const doc = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (n) => n === 'testcase',
  }).parse(readFileSync(join(dir, 'junit.xml'), 'utf8'));
  return doc.testsuites.testsuite as Record<string, string> & { testcase: Array<Record<string, unknown>> };
}

async function faultlineWithEnv(env: Record<string, string>, ...args: string[]) {
  const r = await execa('node', [BIN, ...args], { reject: false, timeout: 120_000, env });
  return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((done) => child.on('exit', (code) => done(code)));
}

describe('faultline campaign on the local runtime', () => {
  it('12 cells, --parallel 2, Ctrl-C, --resume runs only the missing cells; JUnit = summary.json; recheck reproduces every verdict', async () => {
    const reports = join(tmp, 'reports');
    const dir = join(reports, 'smoke');
    const all = (await faultline('campaign', example, '--list')).stdout.split('\n').filter(Boolean);
    expect(all).toHaveLength(12);

    // First pass: Ctrl-C once four cells have their verdicts.
    const child = spawn('node', [BIN, 'campaign', example, '--parallel', '2', '--reports', reports], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    const code = exited(child);
    const t0 = Date.now();
    while (outcomes(dir).length < 4 && Date.now() - t0 < 90_000) await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGINT');
    const exit = await code;
    // Stopped early: unknown (2), or invalid (1) when a finished cell found an anomaly.
    expect([1, 2]).toContain(exit);
    // Plain lines in a log: no control codes.
    expect(stderr).not.toMatch(/\x1b/);
    expect(stderr).toMatch(/SIGINT: starting no more cells/);
    expect(stderr).toMatch(/\[1\/12\] (legacy|correct)-register-\S+: (INVALID|valid) \(/);
    const first = readSummary(dir);
    expect(first.stopped).toBe('interrupted');
    expect(first.cells).toHaveLength(12);
    const finished = first.cells.filter((c) => ['valid', 'invalid', 'unknown'].includes(c.status));
    expect(finished.length).toBeGreaterThanOrEqual(4);
    expect(finished.length).toBeLessThan(12);
    expect(first.counts.notRun + first.counts.interrupted).toBe(12 - finished.length - first.counts.error);

    // Second pass: --resume runs only what has no verdict.
    const second = await faultline('campaign', example, '--parallel', '2', '--reports', reports, '--resume');
    const s = readSummary(dir);
    expect(s.stopped).toBeNull();
    expect(s.cells.map((c) => c.id).sort()).toEqual([...all].sort());
    const resumed = s.cells.filter((c) => c.resumed);
    expect(resumed.map((c) => c.id).sort()).toEqual(finished.map((c) => c.id).sort());
    for (const c of resumed) expect(c.finishedAt).toBe(finished.find((f) => f.id === c.id)!.finishedAt);
    expect(second.stderr).toMatch(new RegExp(`resume: ${finished.length} cells already finished, skipped`));
    expect(second.stderr.match(/^start /gm)?.length).toBe(12 - finished.length);
    // The reference store's legacy mode is caught; its linearizable mode is not.
    expect(s.counts.error).toBe(0);
    // (Its short cells under kills may still fail the stats checker: a write that never succeeded.)
    for (const c of s.cells.filter((x) => x.labels.target === 'correct')) {
      const results = JSON.parse(readFileSync(join(dir, c.id, 'results.json'), 'utf8'));
      expect(results.results.linearizable.valid).toBe(true);
    }
    expect(s.counts.invalid).toBeGreaterThanOrEqual(3);
    expect(second.code).toBe(1);
    expect(s.exitCode).toBe(1);
    expect(second.stdout).toMatch(
      /^campaign smoke: 12 cells in [\d.]+ s: \d+ valid, \d+ invalid, 0 unknown, 0 harness errors$/m,
    );

    // JUnit, parsed, counts as summary.json.
    const suite = junit(dir);
    expect(Number(suite.tests)).toBe(s.counts.cells);
    expect(Number(suite.failures)).toBe(s.counts.invalid);
    expect(Number(suite.errors)).toBe(s.counts.error);
    expect(Number(suite.skipped)).toBe(s.counts.unknown + s.counts.interrupted + s.counts.notRun);
    expect(suite.testcase.map((t) => t.name).sort()).toEqual([...all].sort());
    for (const t of suite.testcase) {
      const cell = s.cells.find((c) => c.id === t.name)!;
      if (cell.status === 'invalid') expect((t.failure as { message: string }).message).toBe(cell.summary);
      else expect(t.failure).toBeUndefined();
    }

    // The matrix page links every cell to its report; reports/index.html shows the campaign.
    const page = readFileSync(join(dir, 'index.html'), 'utf8');
    for (const id of all) expect(page).toContain(`href="./${id.replace(/\+/g, '%2B')}/index.html"`);
    expect(readFileSync(join(reports, 'index.html'), 'utf8')).toContain('<h2>campaigns</h2>');

    // Today's checkers on the stored histories give the same verdicts.
    const re = await faultline('recheck', dir);
    expect(re.stdout).toMatch(/12 runs rechecked: every stored verdict reproduced/);
    expect(re.code).toBe(0);
    // A verdict that changed is reported (results.json edited to say otherwise) and exits 1.
    const victim = s.cells.find((c) => c.status === 'valid')!;
    const resultsPath = join(dir, victim.id, 'results.json');
    writeFileSync(resultsPath, readFileSync(resultsPath, 'utf8').replace('"valid": true', '"valid": false'));
    const changed = await faultline('recheck', join(dir, victim.id));
    expect(changed.stdout).toMatch(/CHANGED INVALID → valid/);
    expect(changed.code).toBe(1);
  }, 240_000);

  it('shards 1/3..3/3 list the same cells as the whole campaign, each once', async () => {
    const all = (await faultline('campaign', example, '--list')).stdout.split('\n').filter(Boolean);
    const shards = await Promise.all(
      ['1/3', '2/3', '3/3'].map(async (s) =>
        (await faultline('campaign', example, '--list', '--shard', s)).stdout.split('\n').filter(Boolean),
      ),
    );
    expect(shards.map((s) => s.length)).toEqual([4, 4, 4]);
    expect(shards.flat().sort()).toEqual([...all].sort());
  });

  it('harness trouble: exit 255, each cell retried once, JUnit errors, GitHub annotations and job summary', async () => {
    const reports = join(tmp, 'broken-reports');
    const stepSummary = join(tmp, 'step-summary.md');
    const fixture = 'test/campaign/fixtures/broken.campaign.ts';
    const r = await faultlineWithEnv(
      { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: stepSummary },
      'campaign',
      fixture,
      '--reports',
      reports,
    );
    expect(r.code).toBe(255);
    const s = readSummary(join(reports, 'broken'));
    expect(s.cells.map((c) => [c.id, c.status, c.trouble, c.attempts])).toEqual([
      ['missing_binary-register-none-local-s1', 'error', 'not-ready', 2],
      ['unreachable-register-none-local-s1', 'error', 'no-connection', 2],
    ]);
    expect(s.cells[0]!.summary).toMatch(/^cluster never became ready: spawn \/opt\/db\/bin\/db/);
    expect(s.cells[1]!.summary).toMatch(/^client never connected: connect ECONNREFUSED/);
    expect(existsSync(join(reports, 'broken', '.attempts', 'missing_binary-register-none-local-s1.1'))).toBe(
      true,
    );
    expect(Number(junit(join(reports, 'broken')).errors)).toBe(2);
    expect(r.stdout).toContain(
      `::error file=${fixture},title=missing_binary-register-none-local-s1%3A harness error::cluster never became ready`,
    );
    expect(readFileSync(stepSummary, 'utf8')).toMatch(
      /\| `unreachable-register-none-local-s1` \| 💥 harness error \|/,
    );
  }, 120_000);

  it('a bad field is one line and exit 254, before anything runs', async () => {
    const file = join(tmp, 'bad.yaml');
    writeFileSync(file, 'targets: [kvstore]\nnemeses: [partition]\nrun: { timeLimit: 2, concurency: 3 }\n');
    const r = await faultline('campaign', file, '--reports', join(tmp, 'bad-reports'));
    expect(r.code).toBe(254);
    expect(r.stderr).toBe(`faultline: ${file}: run: unknown field "concurency"`);
    expect(existsSync(join(tmp, 'bad-reports'))).toBe(false);
    const shard = await faultline('campaign', example, '--shard', '4/3');
    expect(shard.code).toBe(254);
  });
});
