/** One self-contained HTML page for a run or a checked history: no scripts, no external files. */
import type { History } from '../history/op.js';
import { highlightedEvents, renderCheckerResult } from './evidence.js';
import { esc, json, verdictBadge } from './html.js';
import { renderLatencyPlot, renderThroughputPlot } from './plots.js';
import { renderTimeline } from './timeline.js';

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
.failure{border-left:3px solid #c62828;padding-left:.8rem;margin:1rem 0}.state{color:#555}
svg.timeline{border:1px solid #eee;background:#fcfcfc}
svg .ok{fill:#66bb6a}svg .fail{fill:#ef5350}svg .info{fill:#ffb74d}svg .hl{stroke:#000;stroke-width:1.5}
svg .fault{fill:#7e57c2;fill-opacity:.08}svg .fault-label{font-size:9px;fill:#5e35b1}svg.plot{border:1px solid #eee;background:#fcfcfc}svg .grid{stroke:#e5e5e5}svg .tick{font-size:10px;fill:#777}svg .rate{fill:none;stroke-width:1.5}svg .rate.ok{stroke:#43a047}svg .rate.fail{stroke:#e53935}svg .rate.info{stroke:#fb8c00}svg .nemesis{stroke:#7e57c2;stroke-dasharray:3 2}svg .nemesis-label{font-size:9px;fill:#7e57c2}svg .lane{font-size:10px;fill:#777}
`;

function metaTable(meta: Record<string, unknown>): string {
  const rows = Object.entries(meta)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${typeof v === 'string' ? esc(v) : json(v)}</td></tr>`)
    .join('');
  return `<table>${rows}</table>`;
}

export function renderReport(input: ReportInput): string {
  const { history, results } = input;
  const nemesis = history.ops.filter((op) => op.process === 'nemesis');
  const nemesisList = nemesis.length
    ? `<table><tr><th>time (s)</th><th>action</th><th>detail</th></tr>${nemesis
        .slice(0, 500)
        .map(
          (e) =>
            `<tr><td>${(e.time / 1e9).toFixed(3)}</td><td>${esc(e.f)}</td><td>${json(e.value)}</td></tr>`,
        )
        .join('')}</table>`
    : '<p class="muted">No faults were injected.</p>';
  const links = (input.links ?? []).map((l) => `<a href="${esc(l.href)}">${esc(l.label)}</a>`).join(' · ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(input.title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${STYLE}</style></head>
<body>
<h1>${esc(input.title)} ${verdictBadge(input.valid as boolean)}</h1>
<p class="muted">${history.ops.length} events · ${nemesis.length} nemesis events${links ? ` · ${links}` : ''}</p>
${input.meta ? `<h2>Run</h2>${metaTable(input.meta)}` : ''}
<h2>Timeline</h2>
<p class="muted">One lane per process; bars from invocation to completion: green ok, red fail, amber unknown (info or never completed). Outlined: operations the evidence names. Dashed: nemesis actions; shaded: fault intervals. Hover for details.</p>
${renderTimeline(history, { highlight: highlightedEvents(results) })}
<h2>Verdicts</h2>
${Object.entries(results)
  .map(([name, r]) => renderCheckerResult(name, r))
  .join('\n')}
<h2>Performance</h2>
<p class="muted">Green ok, red fail, amber unknown; shaded: fault intervals.</p>
${renderLatencyPlot(history)}
${renderThroughputPlot(history)}
<h2>Faults</h2>
${nemesisList}
</body></html>
`;
}
