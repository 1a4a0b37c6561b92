/**
 * The run as a picture: one lane per process, one bar per operation from invocation to
 * completion (green ok, red fail, amber info or never completed), nemesis events as marks and
 * fault intervals (rebuilt from the history's nemesis events) shaded behind them. Large histories show a window (around the first failure if any) so
 * the page stays light.
 */
import type { History, Op } from '../history/op.js';
import { pairOperations } from '../history/operations.js';
import { nemesisIntervals } from '../nemesis/record.js';
import { esc, json } from './html.js';

const LANE = 14;
const WIDTH = 1100;
const LEFT = 60;
const MAX_OPS = 3000;

export interface TimelineOptions {
  /** Event indices to centre the window on and to outline (e.g. a failure's operations). */
  highlight?: number[];
}

export function renderTimeline(history: History, options: TimelineOptions = {}): string {
  const all = pairOperations(history);
  if (all.length === 0) return '<p class="muted">No client operations.</p>';
  const highlight = new Set(options.highlight ?? []);
  let ops = all;
  let note = '';
  if (all.length > MAX_OPS) {
    const centre = options.highlight?.length
      ? options.highlight.reduce((m, i) => (i < m ? i : m))
      : all[0]!.callIndex;
    const at = Math.max(
      0,
      all.findIndex((o) => o.callIndex >= centre),
    );
    const from = Math.max(0, at - MAX_OPS / 2);
    ops = all.slice(from, from + MAX_OPS);
    note = `<p class="muted">Showing operations ${from + 1}–${from + ops.length} of ${all.length}.</p>`;
  }
  const events = history.ops;
  const endIndex = events.length - 1;
  const t = (index: number) => events[Math.min(index, endIndex)]!.time;
  const t0 = t(ops[0]!.callIndex);
  const lastReturn = ops.reduce(
    (m, o) => Math.max(m, Number.isFinite(o.returnIndex) ? o.returnIndex : o.callIndex),
    0,
  );
  const t1 = Math.max(t(lastReturn), t0 + 1);
  const x = (time: number) => LEFT + ((time - t0) / (t1 - t0)) * (WIDTH - LEFT - 10);
  const processes = [...new Set(ops.map((o) => o.process))].sort((a, b) => a - b);
  const lane = new Map(processes.map((p, i) => [p, i]));
  const height = processes.length * LANE + 30;

  // Fault intervals shaded, one row band per fault so overlapping faults stay readable.
  const intervals = nemesisIntervals(events).filter((i) => (i.end ?? t1) >= t0 && i.start <= t1);
  const bands = intervals
    .map((i, n) => {
      const from = x(Math.max(i.start, t0));
      const to = x(Math.min(i.end ?? t1, t1));
      const label = `${i.kind}${i.detail ? ` ${i.detail}` : ''}${i.nodes.length ? ` (${i.nodes.join(', ')})` : ''}`;
      return `<rect x="${from}" y="0" width="${Math.max(1, to - from)}" height="${height - 20}" class="fault f-${esc(i.kind)}"><title>${esc(label)}</title></rect><text x="${from + 2}" y="${height - 20 + 10 + (n % 2) * 9}" class="fault-label">${esc(label)}</text>`;
    })
    .join('');
  const nemesis = events.filter((e: Op) => e.process === 'nemesis' && e.time >= t0 && e.time <= t1);
  const marks = nemesis
    .map(
      (e) =>
        `<line x1="${x(e.time)}" x2="${x(e.time)}" y1="0" y2="${height - 20}" class="nemesis"><title>${esc(e.f)} ${json(e.value)}</title></line>` +
        (intervals.length > 0
          ? ''
          : `<text x="${x(e.time) + 2}" y="${height - 8}" class="nemesis-label">${esc(e.f)}</text>`),
    )
    .join('');
  const lanes = processes
    .map((p, i) => `<text x="4" y="${i * LANE + 11}" class="lane">${esc(p)}</text>`)
    .join('');
  const bars = ops
    .map((o) => {
      const start = x(t(o.callIndex));
      const end = Number.isFinite(o.returnIndex) ? x(t(o.returnIndex)) : WIDTH - 10;
      const y = lane.get(o.process)! * LANE + 2;
      const cls = o.type + (highlight.has(o.callIndex) ? ' hl' : '');
      const label = `${o.key !== undefined ? `[${o.key}] ` : ''}${o.f} ${JSON.stringify(o.input)} → ${o.type}${
        o.type === 'ok' ? ` ${JSON.stringify(o.output)}` : ''
      } (events ${o.callIndex}–${Number.isFinite(o.returnIndex) ? o.returnIndex : '…'})`;
      return `<rect x="${start}" y="${y}" width="${Math.max(1.5, end - start)}" height="${LANE - 4}" class="${cls}"><title>${esc(label)}</title></rect>`;
    })
    .join('');
  return `${note}<svg class="timeline" viewBox="0 0 ${WIDTH} ${height + 12}" width="100%" role="img" aria-label="operations per process over time">${bands}${lanes}${marks}${bars}</svg>`;
}
