/**
 * One self-contained HTML page for a run or a checked history: the anomalies first, in plain
 * words with their witnesses; a canvas timeline of every operation that opens at the first
 * anomaly; the run table; each checker's verdict; performance plots; the faults. No external
 * files: the timeline's data and script are inlined.
 */
import type { CheckResult } from '../checker/types.js';
import type { History } from '../history/op.js';
import { nemesisIntervals } from '../nemesis/record.js';
import { allAnomalies, renderCheckerSection } from './checkers.js';
import { timelineScript } from './client.js';
import type { AnomalyMark, RenderContext } from './evidence.js';
import { esc, json, verdictBadge } from './html.js';
import { renderLatencyPlot, renderThroughputPlot } from './plots.js';
import { renderRunTable } from './runtable.js';
import { type OpColumns, packTimeline, partialMarks } from './timeline.js';

export interface ReportInput {
  title: string;
  valid: unknown;
  history: History;
  /** Checker name → its result. */
  results: Record<string, Record<string, unknown>>;
  /** Facts about the run (run.json), shown as a table. */
  meta?: Record<string, unknown>;
  /** Relative links to the run's files (history, node logs). */
  links?: Array<{ href: string; label: string }>;
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1180px;color:#222;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #ddd}
.badge{padding:.1rem .5rem;border-radius:.6rem;color:#fff;font-size:.85rem;vertical-align:middle}
.badge.ok{background:#2e7d32}.badge.bad{background:#c62828}.badge.unknown{background:#b26a00}
.muted{color:#777}.error{color:#c62828}.summary{white-space:pre-wrap}
table{border-collapse:collapse}td,th{padding:.15rem .7rem;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
pre{background:#f6f6f6;padding:.6rem;overflow:auto;max-height:30rem}
.anomaly,.failure{border-left:3px solid #c62828;padding-left:.8rem;margin:1rem 0}.state{color:#555}
.plain{font-size:1.05rem}.faults{color:#5e35b1}tr.named td{font-weight:600}
#timeline{width:100%;display:block;border:1px solid #eee;background:#fcfcfc;cursor:grab}
.controls{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin:.4rem 0}
.controls input{width:6rem}.controls input[type=checkbox]{width:auto}#timeline-tip{position:absolute;display:none;background:#222;color:#fff;padding:.3rem .5rem;border-radius:.3rem;font-size:12px;pointer-events:none;max-width:40rem}
svg.plot{border:1px solid #eee;background:#fcfcfc}svg .ok{fill:#66bb6a}svg .fail{fill:#ef5350}svg .info{fill:#ffb74d}
svg .fault{fill:#7e57c2;fill-opacity:.08}svg .grid{stroke:#e5e5e5}svg .tick{font-size:10px;fill:#777}svg .rate{fill:none;stroke-width:1.5}svg .rate.ok{stroke:#43a047}svg .rate.fail{stroke:#e53935}svg .rate.info{stroke:#fb8c00}
`;

/** Inlined JSON must not close its script element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

/** Anomaly cards from `from` (0-based) on, numbered across checkers. */
function anomalyCards(marks: AnomalyMark[], from: number): string {
  const cards = marks
    .slice(from, 50)
    .map((m, j) => [m, from + j] as const)
    .map(
      ([m, i]) => `<div class="anomaly" id="anomaly-${i + 1}">
<h3>${i + 1}. ${esc(m.title)} <span class="muted">(${esc(m.checker)}${m.key !== undefined && m.key !== null ? `, key ${json(m.key)}` : ''})</span></h3>
${m.html}
<p><button type="button" class="goto" data-anomaly="${i + 1}">Show on the timeline</button></p>
</div>`,
    )
    .join('\n');
  const more = marks.length > 50 ? `<p class="muted">…and ${marks.length - 50} more anomalies.</p>` : '';
  return `${cards}${more}`;
}

/** Every refuted key's evidence from the linearizability results (their partial linearizations). */
function linearizableFailures(results: Record<string, CheckResult>): Parameters<typeof partialMarks>[0] {
  return Object.entries(results).flatMap(([name, r]) =>
    (r.checker ?? name) === 'linearizable' && Array.isArray(r.failures)
      ? (r.failures as Parameters<typeof partialMarks>[0]).filter((f) => Array.isArray(f.longest))
      : [],
  );
}

function partialControls(partials: Array<{ key: string; ops: number[] }>): string {
  if (partials.length === 0) return '';
  const options = partials
    .map((p, i) => `<option value="${i}">key ${esc(p.key)}: ${p.ops.length} operations</option>`)
    .join('');
  return `<label title="The longest partial linearizations the search found: each operation's linearization point in order, and the operation it could not place next"><input type="checkbox" id="tl-partial" checked> partial linearization</label><select id="tl-partial-which">${options}</select>`;
}

function timelineSection(
  history: History,
  ctx: RenderContext,
  marks: AnomalyMark[],
  results: Record<string, CheckResult>,
): { html: string; values?: string; cols?: OpColumns } {
  const failures = linearizableFailures(results);
  const { meta, data, values, cols } = packTimeline(history, ctx.intervals, marks, (c) =>
    partialMarks(failures, c),
  );
  if (cols.n === 0) return { html: '<h2>Timeline</h2><p class="muted">No client operations.</p>' };
  const options = marks.map((m, i) => `<option value="${i}">${i + 1}. ${esc(m.title)}</option>`).join('');
  const html = `<h2>Timeline</h2>
<p class="muted">One lane per client worker (processes retired by an unknown outcome hand their lane on); bars from invocation to completion: green ok, red fail, amber unknown. Shaded: fault intervals. Outlined: the current anomaly's witness.${meta.partials.length ? ' Blue: the longest partial linearization the checker found (dots at linearization points, numbered in order; crossed in red: the operation it could not place next).' : ''} Drag to pan, wheel to zoom, hover for details.</p>
<div class="controls">
${marks.length ? `<button type="button" id="tl-prev">◀</button><select id="timeline-anomaly">${options}</select><button type="button" id="tl-next">▶</button>` : '<select id="timeline-anomaly" hidden></select><button type="button" id="tl-prev" hidden></button><button type="button" id="tl-next" hidden></button>'}
${partialControls(meta.partials)}
<button type="button" id="tl-in">zoom in</button><button type="button" id="tl-out">zoom out</button>
<button type="button" id="tl-all">whole history</button><button type="button" id="tl-first">first operation</button><button type="button" id="tl-last">last operation</button>
<label>key <input id="tl-key" list="tl-keys"></label><label>process <input id="tl-proc"></label><label>node <input id="tl-node" list="tl-nodes"></label>
<datalist id="tl-keys">${meta.keys
    .slice(0, 1000)
    .map((k) => `<option value="${esc(k)}">`)
    .join('')}</datalist>
<datalist id="tl-nodes">${meta.nodes.map((k) => `<option value="${esc(k)}">`).join('')}</datalist>
</div>
<canvas id="timeline" tabindex="0" height="100"></canvas>
<p id="timeline-readout" class="muted">loading…</p><div id="timeline-tip"></div>
<script type="application/json" id="timeline-meta">${scriptJson(meta)}</script>
<script type="application/octet-stream" id="timeline-data">${data}</script>
<script>${timelineScript()}</script>`;
  // The values are read on the first hover: at the end of the page, so the parser reaches the
  // timeline's script (and draws) without going through them first.
  return {
    html,
    cols,
    values: `<script type="application/octet-stream" id="timeline-values">${values}</script>`,
  };
}

function faultsSection(history: History): string {
  const nemesis = history.ops.filter((op) => op.process === 'nemesis');
  if (nemesis.length === 0) return '<h2>Faults</h2><p class="muted">No faults were injected.</p>';
  const rows = nemesis
    .slice(0, 500)
    .map((e) => `<tr><td>${(e.time / 1e9).toFixed(3)}</td><td>${esc(e.f)}</td><td>${json(e.value)}</td></tr>`)
    .join('');
  return `<h2>Faults</h2><table><tr><th>time (s)</th><th>action</th><th>detail</th></tr>${rows}</table>`;
}

export function renderReport(input: ReportInput): string {
  const { history } = input;
  const results = input.results as Record<string, CheckResult>;
  const ctx: RenderContext = { history, intervals: nemesisIntervals(history.ops) };
  const marks = allAnomalies(results, ctx);
  const nemesisCount = history.ops.reduce((n, op) => n + (op.process === 'nemesis' ? 1 : 0), 0);
  const timeline = timelineSection(history, ctx, marks, results);
  const plotInput = { intervals: ctx.intervals, ...(timeline.cols ? { cols: timeline.cols } : {}) };
  const links = (input.links ?? []).map((l) => `<a href="${esc(l.href)}">${esc(l.label)}</a>`).join(' · ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(input.title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="data:,"><style>${STYLE}</style></head>
<body>
<h1>${esc(input.title)} ${verdictBadge(input.valid as boolean)}</h1>
<p class="muted">${history.ops.length} events · ${nemesisCount} nemesis events · ${marks.length} anomal${marks.length === 1 ? 'y' : 'ies'}${links ? ` · ${links}` : ''}</p>
${marks.length ? `<h2>What went wrong</h2>${anomalyCards(marks.slice(0, 1), 0)}` : ''}
${timeline.html}
${marks.length > 1 ? `<h2>All ${marks.length} anomalies</h2>${anomalyCards(marks, 1)}` : ''}
${input.meta ? `<h2>Run</h2>${renderRunTable(input.meta)}` : ''}
<h2>Verdicts</h2>
${Object.entries(results)
  .map(([name, r]) => renderCheckerSection(name, r, ctx))
  .join('\n')}
<h2>Performance</h2>
<p class="muted">Green ok, red fail, amber unknown; shaded: fault intervals.</p>
${renderLatencyPlot(history, plotInput)}
${renderThroughputPlot(history, plotInput)}
${faultsSection(history)}
${timeline.values ?? ''}
</body></html>
`;
}
