/**
 * The report writer alone (the history reader is measured by read-path.ts): a generated run-like
 * history of N operations is checked in this process, then `renderReport` and the file write are
 * timed, with the RSS they add over what the history and the result already hold, and the page's
 * size; with --open, Chromium opens it (until the timeline is drawn, and the page's own marks).
 * Figures only, no pass/fail.
 *
 *   npm run build && node dist/bench/report-write.js [--ops N] [--runs 3] [--invalid] [--open]
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkLinearizable } from '../src/checker/linearizable/index.js';
import type { History } from '../src/history/op.js';
import { renderReport } from '../src/report/page.js';
import { generateFaultyHistory } from './history-gen.js';

const args = process.argv.slice(2);
const opt = (name: string, d: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const OPS = opt('--ops', 1_000_000);
const RUNS = opt('--runs', 3);
const invalid = args.includes('--invalid');
const mb = (b: number) => (b / 2 ** 20).toFixed(0);
const say = (s: string) => process.stdout.write(`${s}\n`);

async function openInChromium(file: string): Promise<void> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  for (let i = 0; i < RUNS; i++) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const started = performance.now();
    await page.goto(pathToFileURL(file).href);
    await page.waitForFunction('window.faultlineTimeline && window.faultlineTimeline.ready', undefined, {
      timeout: 120_000,
    });
    const ms = performance.now() - started;
    const marks = (await page.evaluate(
      `performance.getEntriesByType('mark').map(m => m.name + ' ' + m.startTime.toFixed(0)).join(', ')`,
    )) as string;
    say(
      `open in Chromium: ${(ms / 1000).toFixed(2)} s until drawn; page marks (ms): ${marks}${errors.length ? `; errors: ${errors.join('; ')}` : ''}`,
    );
    await page.close();
  }
  await browser.close();
}

async function main(): Promise<void> {
  const ops = generateFaultyHistory({
    ops: OPS,
    keys: 100,
    processes: 50,
    staleReads: invalid,
    nonAtomicCas: invalid,
  });
  const history: History = { ops, realTime: true };
  const lin = await checkLinearizable(history, { model: 'cas-register', allKeys: invalid });
  say(`${OPS} operations, ${ops.length} events, linearizable: ${lin.valid}`);
  const file = join(tmpdir(), `faultline-report-write-${OPS}${invalid ? '-invalid' : ''}.html`);
  for (let i = 0; i < RUNS; i++) {
    global.gc?.();
    const before = process.memoryUsage().rss;
    // Reset the kernel's peak-RSS mark (VmHWM), so the peak below is the writer's own.
    writeFileSync('/proc/self/clear_refs', '5');
    const started = performance.now();
    const cpu = process.cpuUsage();
    const page = renderReport({ title: 'bench', valid: lin.valid, history, results: { linearizable: lin } });
    writeFileSync(file, page);
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const after = process.memoryUsage().rss;
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024;
    say(
      `report written in ${(ms / 1000).toFixed(2)} s (CPU ${((used.user + used.system) / 1e6).toFixed(2)} s), ${(statSync(file).size / 2 ** 20).toFixed(1)} MB; RSS ${mb(before)} MB before (history and result), peak while writing ${mb(hwm)} MB (+${mb(hwm - before)}), ${mb(after)} after`,
    );
  }
  if (args.includes('--open')) await openInChromium(file);
}

await main();
