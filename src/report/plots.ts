/**
 * Performance plots for the report, drawn from the history: latency of every operation over
 * time (log scale, coloured by outcome) and completions per second, both with the fault
 * intervals shaded, so a reader sees what each fault did to the clients.
 */

import { perfStats } from '../checker/perf.js';
import type { History } from '../history/op.js';
import { pairOperations } from '../history/operations.js';
import { nemesisIntervals } from '../nemesis/record.js';
import { esc } from './html.js';

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

function frame(history: History): Frame | undefined {
  const ops = history.ops;
  if (ops.length === 0) return undefined;
  const t0 = ops[0]!.time;
  const t1 = Math.max(ops[ops.length - 1]!.time, t0 + 1);
  const x = (ns: number) => LEFT + ((ns - t0) / (t1 - t0)) * (WIDTH - LEFT - 10);
  const bands = nemesisIntervals(ops)
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

export function renderLatencyPlot(history: History): string {
  const f = frame(history);
  const ops = pairOperations(history).filter((o) => o.completion);
  if (!f || ops.length === 0) return '';
  const stride = Math.max(1, Math.ceil(ops.length / MAX_POINTS));
  const latencies = ops.map((o) => (o.completion!.time - o.invoke.time) / 1e6);
  // A loop, not Math.max(...): spreading 10^5 arguments overflows the stack.
  const maxMs = latencies.reduce((m, ms) => (ms > m ? ms : m), 1);
  const minMs = 0.1;
  const y = (ms: number) =>
    TOP +
      (HEIGHT - BOTTOM - TOP) * (1 - Math.log10(Math.max(ms, minMs) / minMs) / Math.log10(maxMs / minMs)) ||
    0;
  const points: string[] = [];
  for (let i = 0; i < ops.length; i += stride) {
    const o = ops[i]!;
    points.push(
      `<circle cx="${f.x(o.invoke.time).toFixed(1)}" cy="${y(latencies[i]!).toFixed(1)}" r="1.6" class="${o.type}"/>`,
    );
  }
  const gridMs = [1, 10, 100, 1000, 10000].filter((ms) => ms <= maxMs);
  const grid = gridMs
    .map(
      (ms) =>
        `<line x1="${LEFT}" x2="${WIDTH}" y1="${y(ms)}" y2="${y(ms)}" class="grid"/><text x="4" y="${y(ms) + 3}" class="tick">${ms} ms</text>`,
    )
    .join('');
  const note = stride > 1 ? `<p class="muted">Every ${stride}th of ${ops.length} operations shown.</p>` : '';
  return `<h3>Latency</h3>${note}<svg class="plot" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" aria-label="latency over time">${f.bands}${grid}${points.join('')}${axisX(f)}</svg>`;
}

export function renderThroughputPlot(history: History): string {
  const f = frame(history);
  const { throughput } = perfStats(history);
  if (!f || throughput.length === 0) return '';
  const first = pairOperations(history)[0]!.invoke.time;
  const maxRate = throughput.reduce((m, b) => Math.max(m, b.ok, b.fail, b.info), 1);
  const y = (n: number) => TOP + (HEIGHT - BOTTOM - TOP) * (1 - n / maxRate);
  const line = (type: 'ok' | 'fail' | 'info') =>
    `<polyline class="rate ${type}" points="${throughput
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
