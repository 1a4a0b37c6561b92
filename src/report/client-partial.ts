/// <reference lib="dom" />
/**
 * The page's script, its partial linearizations, drawn as Porcupine's visualizer does: the
 * linearization points joined in order, the operation the search got stuck at crossed. Inlined
 * into the page with `toString()` (see client.ts): it must not refer to anything outside itself.
 */
import type { DrawPartial, Partial, View } from './client-types.js';

export function timelinePartial(v: View): {
  choosePartial: (k: number) => void;
  drawPartial: DrawPartial;
  partialNote: (i: number) => string;
} {
  const { meta, ctx, LEFT, laneH, partial } = v;
  const { st, ln, end } = v.rows;

  function choosePartial(k: number): void {
    const p = meta.partials[k];
    if (!p) return;
    partial.index = k;
    partial.rows = Int32Array.from(p.ops);
    partial.points = new Float64Array(p.ops.length);
    partial.step = new Map();
    let prev = 0;
    p.ops.forEach((r, j) => {
      if (r < 0) return;
      const t = Math.min(Math.max(prev, st[r]!), end(r));
      partial.points[j] = t;
      prev = t;
      partial.step.set(r, j);
    });
    const sel = document.getElementById('tl-partial-which') as HTMLSelectElement | null;
    if (sel) sel.value = String(k);
  }

  /** First step whose point is at or after t (points ascend). */
  function stepAt(t: number): number {
    let lo = 0;
    let hi = partial.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (partial.points[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  function drawPartial(x: (t: number) => number, w: number): { points: number; stuck: boolean } {
    const p = meta.partials[partial.index];
    if (!partial.on || !p) return { points: 0, stuck: false };
    const from = Math.max(0, stepAt(v.a) - 1);
    const to = Math.min(partial.points.length, stepAt(v.b) + 1);
    const count = to - from;
    const stride = Math.max(1, Math.ceil(count / 4000));
    const cy = (r: number) => ln[r]! * laneH + laneH / 2;
    ctx.strokeStyle = '#1565c0';
    ctx.fillStyle = '#1565c0';
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    let drawn = 0;
    for (let j = from; j < to; j += stride) {
      const r = partial.rows[j]!;
      if (r < 0) continue;
      const px = Math.max(LEFT, Math.min(w, x(partial.points[j]!)));
      if (drawn++ === 0) ctx.moveTo(px, cy(r));
      else ctx.lineTo(px, cy(r));
    }
    ctx.stroke();
    if (count <= 400) drawSteps(x, from, to, count <= 150);
    return { points: drawn, stuck: drawStuck(p, x, w) };
  }

  /** Few steps in view: each operation outlined, its point marked (and numbered, when fewer still). */
  function drawSteps(x: (t: number) => number, from: number, to: number, numbered: boolean): void {
    const cy = (r: number) => ln[r]! * laneH + laneH / 2;
    ctx.font = '10px system-ui,sans-serif';
    for (let j = from; j < to; j++) {
      const r = partial.rows[j]!;
      const px = x(partial.points[j]!);
      if (r < 0 || px < LEFT) continue;
      ctx.strokeRect(Math.max(LEFT, x(st[r]!)), ln[r]! * laneH, Math.max(2, x(end(r)) - x(st[r]!)), laneH);
      ctx.beginPath();
      ctx.arc(px, cy(r), 3, 0, 2 * Math.PI);
      ctx.fill();
      if (numbered) ctx.fillText(String(j + 1), px + 3, ln[r]! * laneH + laneH - 1);
    }
  }

  /** The operation the search could not place next: outlined and crossed in red. */
  function drawStuck(p: Partial, x: (t: number) => number, w: number): boolean {
    const r = p.stuck;
    if (r < 0 || end(r) < v.a || st[r]! > v.b) return false;
    const x0 = Math.max(LEFT, x(st[r]!));
    const x1 = Math.min(w, Math.max(x0 + 4, x(end(r))));
    const y0 = ln[r]! * laneH;
    ctx.strokeStyle = '#d50000';
    ctx.lineWidth = 2;
    ctx.strokeRect(x0 - 1, y0, x1 - x0 + 2, laneH);
    ctx.beginPath();
    ctx.moveTo(x0, y0);
    ctx.lineTo(x1, y0 + laneH);
    ctx.moveTo(x0, y0 + laneH);
    ctx.lineTo(x1, y0);
    ctx.stroke();
    const last = partial.points.length - 1;
    const lr = partial.rows[last];
    if (last >= 0 && lr !== undefined && lr >= 0) {
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(Math.max(LEFT, x(partial.points[last]!)), ln[lr]! * laneH + laneH / 2);
      ctx.lineTo(x0, y0 + laneH / 2);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    return true;
  }

  function partialNote(i: number): string {
    const p = meta.partials[partial.index];
    if (!partial.on || !p) return '';
    if (i === p.stuck) return ' · the search could not linearize this one next';
    const j = partial.step.get(i);
    if (j === undefined) return '';
    const state = j >= p.statesFrom ? ` ⇒ ${p.states[j - p.statesFrom]}` : '';
    return ` · linearized ${j + 1} of ${p.ops.length}${state}`;
  }

  return { choosePartial, drawPartial, partialNote };
}
