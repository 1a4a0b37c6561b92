/**
 * Causal checker benchmark: CC + CCv on histories from the simulated causal store
 * (src/checker/causal/simulate.ts), 10^5 operations over 50 sessions, 10^6 over 500 (10,000
 * and 100 keys), 2×10^5 over 20,000 sessions; with --cm, CM on 10^5–2×10^5 operations instead.
 * Each case runs in a child process of its own so that its peak RSS is its own; the time is
 * the check alone (history already in memory), min of the runs after a warm-up for the small
 * case, one run for the big one.
 *
 *   npm run build && node dist/bench/causal.js [--case NAME] [--cm]
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { checkCausal } from '../src/checker/causal/index.js';
import { simulateCausalStore } from '../src/checker/causal/simulate.js';

interface Case {
  name: string;
  operations: number;
  sessions: number;
  replicas: number;
  keys: number;
  runs: number;
}

const CASES: Case[] = [
  { name: '1e5-50', operations: 100_000, sessions: 50, replicas: 5, keys: 1000, runs: 3 },
  { name: '1e6-500', operations: 1_000_000, sessions: 500, replicas: 10, keys: 10_000, runs: 1 },
  { name: '1e6-500-fewkeys', operations: 1_000_000, sessions: 500, replicas: 10, keys: 100, runs: 1 },
  // Thousands of writing sessions (crashed processes): clocks are recycled (checkCoCompact).
  { name: '2e5-20000', operations: 200_000, sessions: 20_000, replicas: 10, keys: 1000, runs: 1 },
];

/** With --cm: CM (the fixpoint, run on request) on histories around the default cmMaxOps. */
const CM_CASES: Case[] = [
  { name: 'cm-1e5-50', operations: 100_000, sessions: 50, replicas: 5, keys: 1000, runs: 1 },
  { name: 'cm-2e5-50', operations: 200_000, sessions: 50, replicas: 5, keys: 1000, runs: 1 },
  { name: 'cm-1e5-200', operations: 100_000, sessions: 200, replicas: 10, keys: 1000, runs: 1 },
];

const mb = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MB`;

function runCase(c: Case, cm: boolean): Record<string, unknown> {
  const t0 = performance.now();
  const history = simulateCausalStore({
    operations: c.operations,
    sessions: c.sessions,
    replicas: c.replicas,
    keys: c.keys,
    writeRatio: 0.5,
    deliveries: 3,
    seed: 42,
  });
  const genMs = performance.now() - t0;
  const rssAfterGen = process.memoryUsage().rss;
  let best = Number.POSITIVE_INFINITY;
  let bestCpu = Number.POSITIVE_INFINITY;
  let result: ReturnType<typeof checkCausal> | undefined;
  for (let i = 0; i < c.runs + (c.runs > 1 ? 1 : 0); i++) {
    const t = performance.now();
    const cpu0 = process.cpuUsage();
    result = checkCausal(history, { model: cm ? 'CM' : 'CCv', cm });
    const ms = performance.now() - t;
    const cpu = process.cpuUsage(cpu0);
    if (c.runs === 1 || i > 0) {
      best = Math.min(best, ms);
      bestCpu = Math.min(bestCpu, (cpu.user + cpu.system) / 1000);
    }
  }
  return {
    case: c.name,
    operations: c.operations,
    sessions: c.sessions,
    keys: c.keys,
    models: result!.models,
    conflictEdges: result!.stats.conflictEdges,
    generateMs: Math.round(genMs),
    checkMs: Math.round(best),
    checkCpuMs: Math.round(bestCpu),
    rssAfterGenerate: mb(rssAfterGen),
    peakRss: mb(process.resourceUsage().maxRSS * 1024),
  };
}

const argv = process.argv.slice(2);
const only = argv.includes('--case') ? argv[argv.indexOf('--case') + 1] : undefined;
const cm = argv.includes('--cm');
if (only) {
  const c = [...CASES, ...CM_CASES].find((x) => x.name === only);
  if (!c) throw new Error(`no case ${only}`);
  console.log(JSON.stringify(runCase(c, cm)));
} else {
  console.log(
    `causal checker: ${cm ? 'CM' : 'CC + CCv'} on simulated causal-store histories (50% writes); load average ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} on ${os.cpus().length} CPUs`,
  );
  for (const c of cm ? CM_CASES : CASES) {
    const out = execFileSync(
      process.execPath,
      [fileURLToPath(import.meta.url), '--case', c.name, ...(cm ? ['--cm'] : [])],
      { encoding: 'utf8', maxBuffer: 1 << 20 },
    );
    const r = JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
    console.log(
      `${String(r.case).padEnd(17)} ${String(r.operations).padStart(8)} ops ${String(r.sessions).padStart(5)} sessions ` +
        `${String(r.keys).padStart(6)} keys  check ${String(r.checkMs).padStart(6)} ms ` +
        `(CPU ${String(r.checkCpuMs).padStart(6)} ms)  peak RSS ${r.peakRss} ` +
        `(history alone ${r.rssAfterGenerate})  ${JSON.stringify(r.models)}`,
    );
  }
}
