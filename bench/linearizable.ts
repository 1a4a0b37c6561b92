/**
 * Linearizability benchmark: Porcupine's etcd and kv sets, Knossos's set, and a generated
 * history of 10^6 operations over 1000 keys. Prints per-file times (min of 3 runs after a
 * warm-up) beside Porcupine's own figures, totals, and for the big history time and peak RSS
 * (measured in a child process of its own).
 *
 *   npm run build && node dist/bench/linearizable.js [--big-only] [--no-big] [--quiet]
 *   node dist/bench/linearizable.js --single-key   one key, 10^5 operations, 50 processes, 5% info:
 *     the unique-writes algorithm against the WGL search (20 s limit), without and with cas
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkLinearizable, type LinearizableOptions } from '../src/checker/linearizable/index.js';
import type { History } from '../src/history/op.js';
import { readHistoryFile } from '../src/history/read.js';
import { generateRegisterHistory } from './linearizable-gen.js';

const here = dirname(fileURLToPath(import.meta.url));
let root = here;
while (!existsSync(join(root, 'package.json'))) root = dirname(root);
const peers = resolve(root, '..', 'shared', 'peers');
const args = new Set(process.argv.slice(2));
const quiet = args.has('--quiet');

interface Entry {
  name: string;
  history: History;
  options: LinearizableOptions;
  expected: boolean;
  porcupineMs?: number;
}

function porcupineTimings(): Map<string, number> {
  const rows = readFileSync(join(peers, 'porcupine', 'porcupine-timings.tsv'), 'utf8')
    .trim()
    .split('\n');
  const header = rows[0]!.split('\t');
  const out = new Map<string, number>();
  for (const row of rows.slice(1)) {
    const c = row.split('\t');
    // The kv files also have rows for upstream's unpartitioned model: keep the partitioned ones.
    if (c[header.indexOf('model')]!.endsWith('nopartition')) continue;
    out.set(c[header.indexOf('file')]!, Number(c[header.indexOf('check_events_ms_gomaxprocs2_min3')]));
  }
  return out;
}

async function loadSets(): Promise<Record<string, Entry[]>> {
  const timings = porcupineTimings();
  const porcupine = JSON.parse(readFileSync(join(peers, 'porcupine', 'MANIFEST.json'), 'utf8')) as {
    file: string;
    format: string;
    model: string;
    expected: boolean;
  }[];
  const knossos = (
    JSON.parse(readFileSync(join(peers, 'knossos', 'MANIFEST.json'), 'utf8')) as {
      entries: { file: string; model: string; model_initial_state: unknown; expected_valid: boolean }[];
    }
  ).entries;
  const sets: Record<string, Entry[]> = { etcd: [], kv: [], knossos: [] };
  for (const e of porcupine) {
    if (e.file.endsWith('etcd_095.log')) continue; // empty, no upstream test
    const options: LinearizableOptions =
      e.model === 'cas-register'
        ? { model: e.model, initial: null, nilRead: 'absent', failedCas: 'mismatch' }
        : { model: e.model };
    const entry: Entry = {
      name: e.file.replace(/^.*\//, ''),
      history: await readHistoryFile(join(peers, 'porcupine', e.file)),
      options,
      expected: e.expected,
    };
    const ms = timings.get(e.file);
    if (ms !== undefined) entry.porcupineMs = ms;
    sets[e.format === 'kv' ? 'kv' : 'etcd']!.push(entry);
  }
  for (const e of knossos) {
    const options: LinearizableOptions = { model: e.model };
    if (e.model !== 'mutex') options.initial = e.model_initial_state as never;
    sets.knossos!.push({
      name: e.file.replace(/^data\//, ''),
      history: await readHistoryFile(join(peers, 'knossos', e.file)),
      options,
      expected: e.expected_valid,
    });
  }
  return sets;
}

async function timeOnce(e: Entry): Promise<number> {
  const t0 = performance.now();
  const r = await checkLinearizable(e.history, e.options);
  const ms = performance.now() - t0;
  if (r.valid !== e.expected) throw new Error(`${e.name}: got ${r.valid}, expected ${e.expected}`);
  return ms;
}

async function runSets() {
  const sets = await loadSets();
  // Warm-up: one pass over everything, so the JIT has compiled the hot paths.
  for (const set of Object.values(sets)) for (const e of set) await timeOnce(e);
  for (const [name, set] of Object.entries(sets)) {
    let total = 0;
    let porcupineTotal = 0;
    const rows: string[] = [];
    for (const e of set) {
      let best = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 3; i++) best = Math.min(best, await timeOnce(e));
      total += best;
      if (e.porcupineMs !== undefined) porcupineTotal += e.porcupineMs;
      rows.push(
        `  ${e.name.padEnd(48)} ${best.toFixed(3).padStart(9)} ms${e.porcupineMs === undefined ? '' : `   porcupine ${e.porcupineMs.toFixed(3).padStart(9)} ms`}`,
      );
    }
    console.log(`${name}: ${set.length} files`);
    if (!quiet) for (const r of rows) console.log(r);
    console.log(
      `${name} total: ${total.toFixed(1)} ms${porcupineTotal > 0 ? ` (porcupine, its own figures: ${porcupineTotal.toFixed(1)} ms)` : ''}\n`,
    );
  }
}

async function runBig() {
  const t0 = performance.now();
  const history = generateRegisterHistory({ ops: 1_000_000, keys: 1000, processes: 50 });
  const genMs = performance.now() - t0;
  const t1 = performance.now();
  const r = await checkLinearizable(history, { model: 'cas-register' });
  const ms = performance.now() - t1;
  const rss = process.resourceUsage().maxRSS / 1024;
  console.log(
    `generated: 10^6 operations (${history.ops.length} events), 1000 keys, 50 processes: ` +
      `check ${ms.toFixed(0)} ms (generation ${genMs.toFixed(0)} ms), valid ${r.valid}, peak RSS ${rss.toFixed(0)} MiB`,
  );
  console.log(`  ${r.summary.split('\n').join('\n  ')}`);
}

/** One key, 10^5 operations: what the unique-writes algorithm changes (issue 3's report). */
async function runSingleKey() {
  for (const casRate of [0, 0.2]) {
    const history = generateRegisterHistory({
      ops: 100_000,
      keys: 1,
      processes: 50,
      infoRate: 0.05,
      casRate,
    });
    const model = casRate === 0 ? 'register' : 'cas-register';
    // The same with one late read corrupted to return a value overwritten long before.
    const bad: History = { ...history, ops: history.ops.map((o) => ({ ...o })) };
    const reads = bad.ops.filter((o) => o.type === 'ok' && o.f === 'read' && typeof o.value === 'number');
    reads[Math.floor(reads.length * 0.8)]!.value = reads[Math.floor(reads.length * 0.3)]!.value;
    for (const [h, what] of [
      [history, 'valid'],
      [bad, 'one corrupted read'],
    ] as const)
      for (const algorithm of ['wgl', 'auto'] as const) {
        const t0 = performance.now();
        const r = await checkLinearizable(h, { model, algorithm, timeLimitMs: 20_000 });
        const ms = performance.now() - t0;
        console.log(
          `single key, 10^5 operations, 50 processes, 5% info, ${casRate === 0 ? 'no cas' : '20% cas'} (${model}), ${what}, ` +
            `algorithm ${algorithm}: ${ms.toFixed(0)} ms, valid ${r.valid}, decided by ${r.keys[0]?.algorithm ?? '-'}`,
        );
      }
  }
}

if (args.has('--single-key')) await runSingleKey();
else if (args.has('--big-only')) await runBig();
else {
  if (!args.has('--big-only')) await runSets();
  if (!args.has('--no-big')) {
    // In a process of its own, so its peak RSS is its own.
    execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--big-only'], { stdio: 'inherit' });
  }
}
