/**
 * The report in a real browser: Debian's Chromium driven by playwright-core opens reports of an
 * invalid run (stale reads and non-atomic cas under partitions), a valid run with faults, a
 * causal anomaly, and a real set run on the local kvstore whose racy adds lose elements (the
 * run's own index.html); no console errors, the first anomaly in view on open with its witness listed,
 * navigation to the last operation, and screenshots under reports/browser/ for people to see.
 * Skipped, saying why, when /usr/bin/chromium is missing (CI installs it: scripts/setup-browser.sh).
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFaultyHistory } from '../../bench/history-gen.js';
import { checkCausal } from '../../src/checker/causal/index.js';
import { checkLinearizable } from '../../src/checker/linearizable/index.js';
import type { SetResult } from '../../src/checker/set.js';
import { statsChecker } from '../../src/checker/stats.js';
import type { History } from '../../src/history/op.js';
import { readHistoryFile } from '../../src/history/read.js';
import { renderReport } from '../../src/report/page.js';
import { createLocalRuntime } from '../../src/runtime/local/index.js';
import { namedRun } from '../named-run.js';
import { causalManifest } from '../peers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];
const OUT = resolve('reports', 'browser');
const missing = existsSync(CHROMIUM)
  ? undefined
  : `${CHROMIUM} is not installed (bash scripts/setup-browser.sh)`;
if (missing) process.stderr.write(`browser tests skipped: ${missing}\n`);

type Browser = import('playwright-core').Browser;
type Page = import('playwright-core').Page;
let browser: Browser | undefined;

async function write(name: string, title: string, history: History, results: Record<string, never>) {
  mkdirSync(OUT, { recursive: true });
  const valid = !Object.values(results).some((r: { valid: unknown }) => r.valid === false);
  const file = join(OUT, `${name}.html`);
  writeFileSync(file, renderReport({ title, valid, history, results }));
  return file;
}

/** Opens a report; returns the page and the console errors seen while it loaded. */
async function open(file: string): Promise<{ page: Page; errors: string[]; ms: number }> {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  const started = performance.now();
  await page.goto(pathToFileURL(file).href);
  await page.waitForFunction(
    () => (window as never as { faultlineTimeline?: { ready: boolean } }).faultlineTimeline?.ready,
  );
  return { page, errors, ms: performance.now() - started };
}

const api = (page: Page, expr: string) =>
  page.evaluate(`(() => { const t = window.faultlineTimeline; return ${expr}; })()`) as Promise<unknown>;

async function inViewport(page: Page, selector: string): Promise<boolean> {
  const box = await page.locator(selector).boundingBox();
  return box !== null && box.y >= 0 && box.y < 900;
}

describe.skipIf(missing !== undefined)('report in Chromium', () => {
  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('an invalid run opens on its first anomaly, names it, lists the witness, reaches the last operation', async () => {
    const ops = generateFaultyHistory({
      ops: 20_000,
      keys: 20,
      processes: 10,
      staleReads: true,
      nonAtomicCas: true,
    });
    const history: History = { ops, realTime: true };
    const lin = await checkLinearizable(history, { model: 'cas-register', allKeys: true });
    expect(lin.valid).toBe(false);
    const stats = await statsChecker.check(history, {});
    const file = await write('invalid', 'invalid run', history, { linearizable: lin, stats } as never);
    const { page, errors } = await open(file);
    expect(await api(page, 't.anomalies')).toBeGreaterThan(0);
    expect(await inViewport(page, '#anomaly-1')).toBe(true);
    expect(await page.locator('#anomaly-1 table.witness tr').count()).toBeGreaterThan(1);
    expect(await page.locator('#anomaly-1 .plain').textContent()).toMatch(/read|compare-and-set/);
    expect(await page.locator('#timeline-readout').textContent()).toContain('anomaly 1 of');
    // The witness's operations lie inside the view the timeline opened with.
    const [a, b] = (await api(page, 't.view')) as [number, number];
    const first = lin.failures.find((f) => f.witness)!.witness!.ops;
    const unitNs = (await page.evaluate(
      `JSON.parse(document.getElementById('timeline-meta').textContent).unit`,
    )) as number;
    for (const o of first) {
      expect((o.start - ops[0]!.time) / unitNs).toBeGreaterThanOrEqual(a);
      expect((o.start - ops[0]!.time) / unitNs).toBeLessThanOrEqual(b);
    }
    // The longest partial linearization of the anomaly's key is drawn at open, with its stuck
    // operation; the checkbox hides it and shows it again.
    const lin0 = lin.failures.find((f) => f.witness)!;
    expect(await api(page, 't.partials')).toBeGreaterThan(0);
    const shown = (await api(page, 't.partial')) as {
      on: boolean;
      index: number;
      points: number;
      stuck: boolean;
    };
    expect(shown.on).toBe(true);
    const partialKey = await page.evaluate(
      `JSON.parse(document.getElementById('timeline-meta').textContent).partials[${shown.index}].key`,
    );
    expect(partialKey).toBe(String(lin0.key));
    expect(await page.locator('#timeline-readout').textContent()).toContain(
      `partial linearization of key ${lin0.key}`,
    );
    await page.evaluate(`window.faultlineTimeline.showPartial(${shown.index})`);
    const tail = (await api(page, 't.partial')) as { points: number; stuck: boolean };
    expect(tail.points).toBeGreaterThan(0);
    expect(tail.stuck).toBe(lin0.op !== undefined);
    await page.locator('#timeline').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(OUT, 'invalid-partial.png'), fullPage: false });
    await page.uncheck('#tl-partial');
    expect(await api(page, 't.partial')).toMatchObject({ on: false, points: 0, stuck: false });
    await page.check('#tl-partial');
    expect(await api(page, 't.partial')).toMatchObject({ on: true, points: tail.points });
    // Zoom and pan keep drawing it (only the steps in view).
    await page.click('#tl-out');
    await page.click('#tl-all');
    expect(((await api(page, 't.partial')) as { points: number }).points).toBeGreaterThan(0);
    await page.evaluate(`window.faultlineTimeline.goto(0)`);
    await page.screenshot({ path: join(OUT, 'invalid-open.png'), fullPage: false });
    await page.locator('#timeline').scrollIntoViewIfNeeded();
    await page.click('#tl-last');
    const count = (await api(page, 't.count')) as number;
    expect(await api(page, 't.lastInView')).toBe(count - 1);
    await page.click('#tl-next');
    await page.hover('#timeline', { position: { x: 600, y: 5 } });
    await page.screenshot({ path: join(OUT, 'invalid-last.png'), fullPage: false });
    expect(errors).toEqual([]);
  });

  it('a valid run with faults: no anomaly, the whole history in view, fault bands, no errors', async () => {
    const ops = generateFaultyHistory({ ops: 5_000, keys: 10, processes: 8 });
    const history: History = { ops, realTime: true };
    const lin = await checkLinearizable(history, { model: 'cas-register' });
    expect(lin.valid).toBe(true);
    const file = await write('valid', 'valid run with faults', history, { linearizable: lin } as never);
    const { page, errors } = await open(file);
    expect(await api(page, 't.anomalies')).toBe(0);
    expect(await api(page, 't.partials')).toBe(0);
    expect(await page.locator('#tl-partial').count()).toBe(0);
    expect(await page.locator('#anomaly-1').count()).toBe(0);
    expect(await api(page, 't.firstInView')).toBe(0);
    await page.click('#tl-last');
    expect(await api(page, 't.lastInView')).toBe(((await api(page, 't.count')) as number) - 1);
    await page.screenshot({ path: join(OUT, 'valid.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('a causal anomaly is listed first with its witness', async () => {
    const entry = causalManifest().find((e) => e.expected.CCv === false)!;
    const history = await readHistoryFile(entry.path);
    const causal = await checkCausal(history, { model: 'CCv' });
    expect(causal.valid).toBe(false);
    const file = await write('causal', `causal ${entry.file}`, history, { causal } as never);
    const { page, errors } = await open(file);
    expect(await inViewport(page, '#anomaly-1')).toBe(true);
    expect(await page.locator('#anomaly-1 table.witness tr').count()).toBeGreaterThan(2);
    await page.screenshot({ path: join(OUT, 'causal.png'), fullPage: false });
    expect(errors).toEqual([]);
  });

  it('a set run that lost elements: the first lost element in words, the reads that missed it, on the timeline', async () => {
    // A real run: the local kvstore with read-then-write adds (cas racy) loses concurrent adds.
    const run = await namedRun({
      target: 'kvstore',
      workload: 'set',
      concurrency: 10,
      timeLimitS: 4,
      seed: 7,
      opTimeoutMs: 1000,
      reportsDir: mkdtempSync(join(tmpdir(), 'faultline-browser-set-')),
      runtime: createLocalRuntime(),
      targetOptions: { mode: 'correct', cas: 'racy' },
    });
    const set = run.results!.set as SetResult;
    expect(set.lost).toBeGreaterThan(0);
    const { page, errors } = await open(join(run.dir, 'index.html'));
    expect(await inViewport(page, '#anomaly-1')).toBe(true);
    expect(await page.locator('#anomaly-1 h3').textContent()).toContain('lost element');
    const plain = await page.locator('#anomaly-1 .plain').textContent();
    expect(plain).toMatch(/was lost: process \d+ on n\d added it at [\d.]+ s; the add was acknowledged at/);
    expect(plain).toMatch(/Every one of the \d+ read\(s\) of its set since/);
    expect(await page.locator('#anomaly-1 table.witness tr').count()).toBeGreaterThan(1);
    expect(await page.locator('#timeline-readout').textContent()).toContain(
      `anomaly 1 of ${Math.min(set.lost, 20)}`,
    );
    // The lost element's add lies inside the view the timeline opened with.
    const add = set.lostElements[0]!.addIndex!;
    const meta = JSON.parse((await page.locator('#timeline-meta').textContent())!) as {
      unit: number;
      t0: number;
    };
    const history = await readHistoryFile(run.historyPath);
    const [a, b] = (await api(page, 't.view')) as [number, number];
    const at = (history.ops[add]!.time - meta.t0) / meta.unit;
    expect(at).toBeGreaterThanOrEqual(a);
    expect(at).toBeLessThanOrEqual(b);
    await page.screenshot({ path: join(OUT, 'set-lost.png'), fullPage: false });
    expect(await page.locator('section.checker').filter({ hasText: 'Lost elements' }).count()).toBe(1);
    expect(errors).toEqual([]);
  }, 120_000);
});
