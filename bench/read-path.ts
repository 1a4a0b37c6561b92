/**
 * The read path, whole process: `faultline check h.jsonl --model cas-register` on a generated
 * run-like history of 10^6 operations (2·10^6 events, with partitions), process start to exit,
 * min of 3, with peak RSS (GNU time); the same for the history exported to Jepsen EDN; the
 * report for it (`--report`): time, size; and opening that report in Chromium until its
 * timeline is drawn. Figures only, no pass/fail.
 *
 *   npm run build && node dist/bench/read-path.js [--ops N] [--runs 3] [--invalid]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateFaultyHistory, toJsonlText } from './history-gen.js';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'src', 'cli', 'main.js');
const args = process.argv.slice(2);
const opt = (name: string, d: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const OPS = opt('--ops', 1_000_000);
const RUNS = opt('--runs', 3);
const invalid = args.includes('--invalid');
const TIME = '/usr/bin/time';

interface Figure {
  ms: number;
  rssMb: number | undefined;
  code: number | null;
}

/** One whole-process run: wall time, peak RSS (GNU time's %M) and exit code. */
function once(argv: string[]): Figure {
  const withTime = existsSync(TIME);
  const cmd = withTime ? TIME : process.execPath;
  const full = withTime ? ['-f', 'RSS_KB=%M', process.execPath, ...argv] : argv;
  const started = performance.now();
  const r = spawnSync(cmd, full, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const ms = performance.now() - started;
  const kb = /RSS_KB=(\d+)/.exec(r.stderr ?? '')?.[1];
  return { ms, rssMb: kb ? Number(kb) / 1024 : undefined, code: r.status };
}

function best(label: string, argv: string[]): void {
  const figures = Array.from({ length: RUNS }, () => once(argv));
  const ms = Math.min(...figures.map((f) => f.ms));
  const rss = figures.map((f) => f.rssMb).filter((x): x is number => x !== undefined);
  const rssText = rss.length
    ? `${Math.min(...rss).toFixed(0)} MB peak RSS (min), ${Math.max(...rss).toFixed(0)} max`
    : 'RSS n/a (no GNU time)';
  process.stdout.write(
    `${label.padEnd(34)} ${(ms / 1000).toFixed(2)} s (min of ${RUNS}: ${figures.map((f) => (f.ms / 1000).toFixed(2)).join(', ')}), ${rssText}, exit ${figures[0]!.code}\n`,
  );
}

async function chromiumOpen(file: string): Promise<void> {
  if (!existsSync('/usr/bin/chromium')) {
    process.stdout.write('open report in Chromium: skipped (/usr/bin/chromium missing)\n');
    return;
  }
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
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const started = performance.now();
    await page.goto(pathToFileURL(file).href);
    await page.waitForFunction('window.faultlineTimeline && window.faultlineTimeline.ready', undefined, {
      timeout: 120_000,
    });
    times.push(performance.now() - started);
    await page.close();
  }
  await browser.close();
  process.stdout.write(
    `${'open report in Chromium'.padEnd(34)} ${(Math.min(...times) / 1000).toFixed(2)} s (min of ${RUNS}: ${times.map((t) => (t / 1000).toFixed(2)).join(', ')}), until the timeline is drawn\n`,
  );
}

async function main(): Promise<void> {
  const dir = join(tmpdir(), 'faultline-bench-read');
  mkdirSync(dir, { recursive: true });
  const jsonl = join(dir, `h-${OPS}${invalid ? '-invalid' : ''}.jsonl`);
  if (!existsSync(jsonl)) {
    process.stdout.write(`generating ${OPS} operations into ${jsonl}…\n`);
    const ops = generateFaultyHistory({
      ops: OPS,
      keys: 100,
      processes: 50,
      staleReads: invalid,
      nonAtomicCas: invalid,
    });
    writeFileSync(jsonl, toJsonlText(ops));
  }
  process.stdout.write(`history: ${jsonl} (${(statSync(jsonl).size / 2 ** 20).toFixed(0)} MB)\n`);
  best('check JSONL', [cli, 'check', jsonl, '--model', 'cas-register']);
  const edn = jsonl.replace(/\.jsonl$/, '.edn');
  if (!existsSync(edn)) spawnSync(process.execPath, [cli, 'export', jsonl, '--to', 'edn', '-o', edn]);
  if (existsSync(edn)) best('check EDN', [cli, 'check', edn, '--model', 'cas-register']);
  const report = join(dir, 'report.html');
  best('check JSONL --report', [cli, 'check', jsonl, '--model', 'cas-register', '--report', report]);
  if (existsSync(report)) {
    process.stdout.write(`${'report size'.padEnd(34)} ${(statSync(report).size / 2 ** 20).toFixed(1)} MB\n`);
    await chromiumOpen(report);
  }
}

await main();
