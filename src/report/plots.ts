/**
 * Performance plots for the report, drawn from the history: latency of every operation over
 * time (log scale, coloured by outcome) and completions per second, both with the fault
 * intervals shaded, so a reader sees what each fault did to the clients.
 */

import type { History } from '../history/op.js';
import { nemesisIntervals } from '../nemesis/record.js';
import type { NemesisInterval } from '../nemesis/types.js';
import { esc } from './html.js';
import { type OpColumns, opColumns } from './timeline.js';

/** What the plots read: the operations as columns (the timeline's, when the page has them). */
export interface PlotInput {
  cols?: OpColumns;
  intervals?: NemesisInterval[];
}

const TYPES = ['ok', 'fail', 'info'] as const;

const WIDTH = 1100;
const HEIGHT = 220;
const LEFT = 60;
const BOTTOM = 24;
const MAX_POINTS = 4000;
/** Room above the highest value for its label. */
const TOP = 12;

interface Frame {
  x: (ns: number) => number;
  bands: string;
  t0: number;
  t1: number;
}

function frame(history: History, intervals: NemesisInterval[]): Frame | undefined {
  const ops = history.ops;
  if (ops.length === 0) return undefined;
  const t0 = ops[0]!.time;
  const t1 = Math.max(ops[ops.length - 1]!.time, t0 + 1);
  const x = (ns: number) => LEFT + ((ns - t0) / (t1 - t0)) * (WIDTH - LEFT - 10);
  const bands = intervals
    .map((i) => {
      const from = x(i.start);
      const to = x(i.end ?? t1);
      return `<rect x="${from}" y="0" width="${Math.max(1, to - from)}" height="${HEIGHT - BOTTOM}" class="fault"><title>${esc(
        `${i.kind} ${i.detail}`,
      )}</title></rect>`;
    })
    .join('');
  return { x, bands, t0, t1 };
}

function axisX(f: Frame): string {
  const seconds = (f.t1 - f.t0) / 1e9;
  const step = seconds > 120 ? 30 : seconds > 30 ? 10 : seconds > 8 ? 2 : 1;
  const ticks: string[] = [];
  for (let s = 0; s <= seconds; s += step) {
    const px = f.x(f.t0 + s * 1e9);
    ticks.push(`<text x="${px}" y="${HEIGHT - 6}" class="tick">${s}s</text>`);
  }
  return ticks.join('');
}

export function renderLatencyPlot(history: History, input: PlotInput = {}): string {
  const intervals = input.intervals ?? nemesisIntervals(history.ops);
  const f = frame(history, intervals);
  const c = input.cols ?? opColumns(history);
  let done = 0;
  let maxMs = 1;
  for (let i = 0; i < c.n; i++) {
    const ms = (c.endNs[i]! - c.startNs[i]!) / 1e6;
    if (Number.isNaN(ms)) continue;
    done++;
    if (ms > maxMs) maxMs = ms;
  }
  if (!f || done === 0) return '';
  const stride = Math.max(1, Math.ceil(done / MAX_POINTS));
  const minMs = 0.1;
  const y = (ms: number) =>
    TOP +
      (HEIGHT - BOTTOM - TOP) * (1 - Math.log10(Math.max(ms, minMs) / minMs) / Math.log10(maxMs / minMs)) ||
    0;
  const points: string[] = [];
  // Every stride-th completed operation, counted among completed ones only.
  for (let i = 0, k = 0; i < c.n; i++) {
    const ms = (c.endNs[i]! - c.startNs[i]!) / 1e6;
    if (Number.isNaN(ms) || k++ % stride !== 0) continue;
    points.push(
      `<circle cx="${f.x(c.startNs[i]!).toFixed(1)}" cy="${y(ms).toFixed(1)}" r="1.6" class="${TYPES[c.type[i]!]}"/>`,
    );
  }
  const gridMs = [1, 10, 100, 1000, 10000].filter((ms) => ms <= maxMs);
  const grid = gridMs
    .map(
      (ms) =>
        `<line x1="${LEFT}" x2="${WIDTH}" y1="${y(ms)}" y2="${y(ms)}" class="grid"/><text x="4" y="${y(ms) + 3}" class="tick">${ms} ms</text>`,
    )
    .join('');
  const note = stride > 1 ? `<p class="muted">Every ${stride}th of ${done} operations shown.</p>` : '';
  return `<h3>Latency</h3>${note}<svg class="plot" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" aria-label="latency over time">${f.bands}${grid}${points.join('')}${axisX(f)}</svg>`;
}

/** Completions per second from the first invocation, by outcome (as perfStats counts them). */
function throughput(c: OpColumns): Array<{ second: number; ok: number; fail: number; info: number }> {
  const buckets: Array<{ second: number; ok: number; fail: number; info: number }> = [];
  const t0 = c.startNs[0] ?? 0;
  for (let i = 0; i < c.n; i++) {
    const end = c.endNs[i]!;
    if (Number.isNaN(end)) continue;
    const second = Math.max(0, Math.floor((end - t0) / 1e9));
    for (let s = buckets.length; s <= second; s++) buckets.push({ second: s, ok: 0, fail: 0, info: 0 });
    buckets[second]![TYPES[c.type[i]!]!]++;
  }
  return buckets;
}

export function renderThroughputPlot(history: History, input: PlotInput = {}): string {
  const f = frame(history, input.intervals ?? nemesisIntervals(history.ops));
  const c = input.cols ?? opColumns(history);
  const rates = throughput(c);
  if (!f || rates.length === 0) return '';
  const first = c.startNs[0]!;
  const maxRate = rates.reduce((m, b) => Math.max(m, b.ok, b.fail, b.info), 1);
  const y = (n: number) => TOP + (HEIGHT - BOTTOM - TOP) * (1 - n / maxRate);
  const line = (type: 'ok' | 'fail' | 'info') =>
    `<polyline class="rate ${type}" points="${rates
      .map((b) => `${f.x(first + (b.second + 0.5) * 1e9).toFixed(1)},${y(b[type]).toFixed(1)}`)
      .join(' ')}"/>`;
  const grid = [0.5, 1]
    .map(
      (q) =>
        `<line x1="${LEFT}" x2="${WIDTH}" y1="${y(maxRate * q)}" y2="${y(maxRate * q)}" class="grid"/><text x="4" y="${y(maxRate * q) + 3}" class="tick">${Math.round(maxRate * q)}/s</text>`,
    )
    .join('');
  return `<h3>Throughput</h3><svg class="plot" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" aria-label="completions per second">${f.bands}${grid}${line('ok')}${line('fail')}${line('info')}${axisX(f)}</svg>`;
}
