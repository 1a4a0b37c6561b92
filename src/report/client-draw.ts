/// <reference lib="dom" />
/**
 * The page's script, its drawing: the operations in view as bars (or, with more operations
 * than pixels, rasterised per lane and pixel column), fault bands, the anomaly's witnesses, the
 * partial linearization (drawn by `drawPartial`), the axis and the readout. Inlined into the page
 * with `toString()` (see client.ts): it must not refer to anything outside itself.
 */
import type { DrawPartial, View } from './client-types.js';

export function timelineDrawing(v: View, drawPartial: DrawPartial): { draw: () => void } {
  const { meta, ctx, canvas, LEFT, AXIS, COLORS, laneH, rows } = v;
  const { st, ln, ty, end, lowerBound, maxDur, openOps } = rows;

  function size(): { w: number; h: number } {
    const w = canvas.clientWidth;
    const h = meta.lanes * laneH + AXIS + 4;
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(w * dpr)) canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    canvas.style.height = `${h}px`;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    return { w, h };
  }

  function niceStep(span: number): number {
    const raw = span / 8;
    const p = 10 ** Math.floor(Math.log10(raw));
    return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw)!;
  }

  /** Calls `each` for every shown operation intersecting [a, b]; returns how many were ok. */
  function visible(each: (i: number) => void): number {
    const { a, b } = v;
    let ok = 0;
    const one = (i: number) => {
      if (!v.shown(i) || end(i) < a || st[i]! > b) return;
      if (ty(i) === 0) ok++;
      each(i);
    };
    const from = lowerBound(a - maxDur);
    const to = lowerBound(b + 1);
    for (let i = from; i < to; i++) one(i);
    for (const i of openOps) if (i < from || i >= to) one(i);
    return ok;
  }

  /** Bars one by one, ok then fail then unknown on top (few operations in view). */
  function drawBars(x: (t: number) => number, w: number, shownRows: number[]): void {
    for (let pass = 0; pass < 3; pass++) {
      ctx.fillStyle = COLORS[pass]!;
      for (const i of shownRows) {
        if (ty(i) !== pass) continue;
        const x0 = Math.max(LEFT, x(st[i]!));
        const x1 = Math.min(w, x(end(i)));
        const gap = x1 - x0 < 3 ? 0 : 1;
        ctx.fillRect(x0, ln[i]! * laneH + 1, Math.max(1, x1 - x0 - gap), laneH - 2);
      }
    }
  }

  /** Many operations in view: per lane and pixel column the worst outcome, drawn as runs. */
  function drawRaster(w: number): number {
    const { a, b } = v;
    const W = Math.max(1, Math.ceil(w - LEFT));
    const grid = new Uint8Array(meta.lanes * W);
    const scale = W / (b - a);
    const ok = visible((i) => {
      const p0 = Math.max(0, Math.floor((st[i]! - a) * scale));
      const p1 = Math.min(W - 1, Math.floor((end(i) - a) * scale));
      const row = ln[i]! * W;
      const k = ty(i) + 1;
      for (let p = p0; p <= p1; p++) if (grid[row + p]! < k) grid[row + p] = k;
    });
    for (let l = 0; l < meta.lanes; l++) {
      const row = l * W;
      for (let p = 0; p < W; ) {
        const k = grid[row + p]!;
        let q = p + 1;
        while (q < W && grid[row + q] === k) q++;
        if (k) {
          ctx.fillStyle = COLORS[k - 1]!;
          ctx.fillRect(LEFT + p, l * laneH + 1, q - p, laneH - 2);
        }
        p = q;
      }
    }
    return ok;
  }

  function drawFaults(x: (t: number) => number, w: number, lanesH: number): void {
    const { a, b } = v;
    ctx.fillStyle = 'rgba(126,87,194,0.16)';
    for (const f of meta.faults) {
      if (f.end < a || f.start > b) continue;
      const x0 = Math.max(LEFT, x(f.start));
      const x1 = Math.min(w, x(f.end));
      ctx.fillRect(x0, 0, Math.max(1, x1 - x0), lanesH);
      ctx.fillStyle = '#7e57c2';
      ctx.fillRect(x0, lanesH + 16, Math.max(1, x1 - x0), 5);
      ctx.fillText(f.label, x0 + 2, lanesH + 30, Math.max(40, x1 - x0 - 4));
      ctx.fillStyle = 'rgba(126,87,194,0.16)';
    }
  }

  function drawAxis(x: (t: number) => number, lanesH: number): void {
    const { a, b } = v;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, LEFT - 2, lanesH);
    ctx.fillStyle = '#777';
    ctx.font = '10px system-ui,sans-serif';
    if (laneH >= 9)
      for (const [l, label] of meta.laneLabels.entries())
        ctx.fillText(label, 2, l * laneH + laneH - 3, LEFT - 6);
    const sec = meta.unit / 1e9;
    const step = niceStep((b - a) * sec) / sec;
    for (let t = Math.ceil(a / step) * step; t <= b; t += step) {
      ctx.fillRect(x(t), lanesH, 1, 4);
      ctx.fillText(`${+(t * sec).toFixed(6)}s`, x(t) + 2, lanesH + 14);
    }
  }

  /** The witnesses of the anomaly shown, outlined. */
  function drawWitnesses(x: (t: number) => number, w: number): void {
    if (v.current < 0) return;
    ctx.strokeStyle = '#000';
    ctx.lineWidth = 2;
    for (const i of meta.anomalies[v.current]!.ops) {
      const x0 = Math.max(LEFT, x(st[i]!));
      ctx.strokeRect(x0 - 1, ln[i]! * laneH, Math.max(3, Math.min(w, x(end(i))) - x0 + 2), laneH);
    }
  }

  function draw(): void {
    const { a, b, current, partial } = v;
    const { w, h } = size();
    const plotW = w - LEFT;
    const x = (t: number) => LEFT + ((t - a) / (b - a)) * plotW;
    const lanesH = meta.lanes * laneH;
    ctx.clearRect(0, 0, w, h);
    const from = lowerBound(a - maxDur);
    const to = lowerBound(b + 1);
    let inView: number;
    if (to - from > 4 * plotW) inView = drawRaster(w);
    else {
      const shownRows: number[] = [];
      inView = visible((i) => shownRows.push(i));
      drawBars(x, w, shownRows);
    }
    drawFaults(x, w, lanesH);
    drawWitnesses(x, w);
    const drawnPartial = drawPartial(x, w);
    drawAxis(x, lanesH);
    const sec = meta.unit / 1e9;
    const first = lowerBound(a);
    const last = Math.max(first, lowerBound(b + 1)) - 1;
    const p = meta.partials[partial.index];
    v.readout.textContent = `${(a * sec).toFixed(3)}–${(b * sec).toFixed(3)} s · operations ${first + 1}–${last + 1} of ${rows.n} started in view${current >= 0 ? ` · anomaly ${current + 1} of ${meta.anomalies.length}` : ''}${partial.on && p ? ` · partial linearization of key ${p.key}: ${p.ops.length} operations, ${drawnPartial.points} points in view` : ''}`;
    Object.assign(v.api, { view: [a, b], firstInView: first, lastInView: last, drawnOk: inView });
    v.api.partial = { on: partial.on, index: partial.index, ...drawnPartial };
  }

  return { draw };
}
