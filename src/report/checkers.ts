/**
 * How the report renders each checker's result, keyed by the result's `checker` discriminant (or
 * the name it was filed under, for results written before it existed). A new checker plugs in
 * with one entry here; a checker without one gets its summary and a folded JSON view.
 */
import type { CausalResult } from '../checker/causal/types.js';
import type { CounterResult } from '../checker/counter.js';
import type { LinearizabilityResult } from '../checker/linearizable/index.js';
import type { SetResult } from '../checker/set.js';
import type { Counts } from '../checker/stats.js';
import type { CheckResult } from '../checker/types.js';
import { causalDetails, causalMarks } from './evidence/causal.js';
import { counterDetails, counterMarks } from './evidence/counter.js';
import { setDetails, setMarks } from './evidence/set.js';
import { type AnomalyMark, linearizableDetails, linearizableMarks, type RenderContext } from './evidence.js';
import { esc, verdictBadge } from './html.js';

export interface ResultRenderer {
  /** The anomalies the page lists first (numbered across checkers) and the timeline jumps to. */
  anomalies?(result: CheckResult, ctx: RenderContext): AnomalyMark[];
  /** The rest of the evidence, under the checker's heading. */
  details?(result: CheckResult, ctx: RenderContext): string;
}

function countsTable(byF: Record<string, Counts>, total: Counts): string {
  const row = (name: string, c: Counts) =>
    `<tr><th>${esc(name)}</th><td>${c.count}</td><td>${c.ok}</td><td>${c.fail}</td><td>${c.info}</td></tr>`;
  return `<table class="counts"><tr><th></th><th>operations</th><th>ok</th><th>fail</th><th>info</th></tr>${Object.entries(
    byF,
  )
    .map(([f, c]) => row(f, c))
    .join('')}${row('total', total)}</table>`;
}

interface QuantilesLike {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

function latencyTable(latency: Record<string, Record<string, QuantilesLike>>): string {
  const rows = Object.entries(latency).flatMap(([f, byType]) =>
    Object.entries(byType).map(
      ([type, q]) =>
        `<tr><th>${esc(f)}</th><td>${esc(type)}</td><td>${q.count}</td><td>${q.p50}</td><td>${q.p95}</td><td>${q.p99}</td><td>${q.max}</td></tr>`,
    ),
  );
  return `<table class="counts"><tr><th></th><th>outcome</th><th>count</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>max ms</th></tr>${rows.join('')}</table>`;
}

export const renderers: Record<string, ResultRenderer> = {
  linearizable: {
    anomalies: (r, ctx) => linearizableMarks(r as LinearizabilityResult, ctx),
    details: (r) => linearizableDetails(r as LinearizabilityResult),
  },
  causal: {
    anomalies: (r, ctx) => causalMarks(r as CausalResult, ctx),
    details: (r, ctx) => causalDetails(r as CausalResult, ctx),
  },
  set: {
    anomalies: (r, ctx) => setMarks(r as SetResult, ctx),
    details: (r, ctx) => setDetails(r as SetResult, ctx),
  },
  counter: {
    anomalies: (r, ctx) => counterMarks(r as CounterResult, ctx),
    details: (r, ctx) => counterDetails(r as CounterResult, ctx),
  },
  stats: {
    details: (r) => (r.byF && r.total ? countsTable(r.byF as Record<string, Counts>, r.total as Counts) : ''),
  },
  perf: {
    details: (r) =>
      r.latencyMs ? latencyTable(r.latencyMs as Record<string, Record<string, QuantilesLike>>) : '',
  },
};

/** The renderer for a result filed under `name`. */
export const rendererFor = (name: string, result: CheckResult): ResultRenderer =>
  renderers[typeof result.checker === 'string' ? result.checker : name] ?? renderers[name] ?? {};

const RAW_LIMIT = 200_000;

/** A checker's section: heading, verdict, summary, its details, and the raw result folded. */
export function renderCheckerSection(name: string, result: CheckResult, ctx: RenderContext): string {
  const r = rendererFor(name, result);
  const parts = [`<h3>${esc(name)} ${verdictBadge(result.valid)}</h3>`];
  if (typeof result.summary === 'string') parts.push(`<p class="summary">${esc(result.summary)}</p>`);
  if (typeof result.error === 'string') parts.push(`<p class="error">${esc(result.error)}</p>`);
  if (r.details) parts.push(r.details(result, ctx));
  const raw = JSON.stringify(result, null, 2) ?? 'null';
  parts.push(
    `<details><summary>Full result (JSON)</summary><pre>${esc(raw.length > RAW_LIMIT ? `${raw.slice(0, RAW_LIMIT)}\n…` : raw)}</pre></details>`,
  );
  return `<section class="checker">${parts.join('\n')}</section>`;
}

/** Every anomaly of every result, in checker order. */
export function allAnomalies(results: Record<string, CheckResult>, ctx: RenderContext): AnomalyMark[] {
  return Object.entries(results).flatMap(([name, result]) => {
    const r = rendererFor(name, result);
    return r.anomalies ? r.anomalies(result, ctx) : [];
  });
}
