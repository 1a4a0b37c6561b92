/// <reference lib="dom" />
/**
 * The report page's script: unpacks the timeline (timeline.ts) and draws it on a canvas that
 * opens at the first anomaly. Zoom (wheel, +/−), pan (drag, ←/→), jump to anomaly N, first/last
 * operation, filters by key, process and node, hover details, fault intervals shaded, witness
 * operations outlined, and the checker's longest partial linearizations drawn as Porcupine's
 * visualizer does (linearization points joined in order, the operation it got stuck at crossed).
 * Only what is in view is drawn; a view of more operations than pixels is rasterised per lane
 * and pixel column first. The values for hovering are decoded on the first hover.
 *
 * The script is `timelineScript()`: this function and its parts (client-rows.ts, client-draw.ts,
 * client-partial.ts, client-hover.ts), each inlined into the page with `toString()` and handed
 * to it as an argument, so none may refer to anything outside itself (types aside).
 * Exposes `window.faultlineTimeline` for tests; performance marks `faultline:*` for profiling.
 */

import { timelineDrawing } from './client-draw.js';
import { timelineHover } from './client-hover.js';
import { timelinePartial } from './client-partial.js';
import { clientRows } from './client-rows.js';
import type { Meta, View } from './client-types.js';

/** The script's parts, as the page hands them to `timelineClient`. */
export interface ClientParts {
  rows: typeof clientRows;
  draw: typeof timelineDrawing;
  partial: typeof timelinePartial;
  hover: typeof timelineHover;
}

/** The page's whole timeline script, self-contained. */
export function timelineScript(): string {
  const parts = `{rows: ${clientRows.toString()}, draw: ${timelineDrawing.toString()}, partial: ${timelinePartial.toString()}, hover: ${timelineHover.toString()}}`;
  return `(${timelineClient.toString()})(${parts});`;
}

export function timelineClient(parts: ClientParts): void {
  const $ = (id: string) => document.getElementById(id)!;
  const meta = JSON.parse($('timeline-meta').textContent!) as Meta;
  const api: Record<string, unknown> = { ready: false, anomalies: meta.anomalies.length };
  (window as unknown as { faultlineTimeline: unknown }).faultlineTimeline = api;
  performance.mark('faultline:script');

  function bytesOf(id: string): Uint8Array {
    const text = $(id).textContent!.trim();
    const native = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array }).fromBase64;
    if (native) return native(text);
    const bin = atob(text);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes;
  }

  function gunzip(id: string): Promise<ArrayBuffer> {
    const stream = new Blob([bytesOf(id) as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Response(stream).arrayBuffer();
  }

  gunzip('timeline-data').then((buf) => {
    performance.mark('faultline:unpacked');
    start(buf);
    performance.mark('faultline:drawn');
  });

  /** The view over the unpacked rows: the whole run, no anomaly, no filter. */
  function newView(buf: ArrayBuffer): View {
    const rows = parts.rows(meta, buf);
    const canvas = $('timeline') as HTMLCanvasElement;
    const filter = { key: -1, proc: -1, node: -1 };
    const { ky, pr, nd } = rows;
    return {
      meta,
      rows,
      api,
      canvas,
      ctx: canvas.getContext('2d')!,
      tip: $('timeline-tip'),
      readout: $('timeline-readout'),
      LEFT: 70,
      AXIS: 36,
      COLORS: ['#66bb6a', '#ef5350', '#ffb74d'],
      laneH: Math.max(3, Math.min(14, Math.floor(420 / Math.max(1, meta.lanes)))),
      a: 0,
      b: Math.max(1, rows.lastEnd),
      current: -1,
      filter,
      shown: (i: number) =>
        (filter.key < 0 || ky[i] === filter.key) &&
        (filter.proc < 0 || pr[i] === filter.proc) &&
        (filter.node < 0 || nd[i] === filter.node),
      partial: {
        on: meta.partials.length > 0,
        index: -1,
        rows: new Int32Array(0),
        points: new Float64Array(0),
        step: new Map<number, number>(),
      },
    };
  }

  function start(buf: ArrayBuffer): void {
    const v = newView(buf);
    const { n, st, du, end, mark, lastEnd } = v.rows;
    const { canvas, LEFT, partial } = v;
    const { choosePartial, drawPartial, partialNote } = parts.partial(v);
    const { draw } = parts.draw(v, drawPartial);
    const { hover } = parts.hover(v, gunzip, partialNote);

    function setView(na: number, nb: number): void {
      const span = Math.max(nb - na, 1);
      v.a = na;
      v.b = na + span;
      draw();
    }

    function goto(k: number): void {
      const an = meta.anomalies[k];
      if (!an || an.ops.length === 0) return;
      mark.fill(0);
      for (const i of an.ops) mark[i] = 1;
      v.current = k;
      const forKey = meta.partials.findIndex((p) => an.key !== undefined && p.key === an.key);
      if (forKey >= 0) choosePartial(forKey);
      let lo = Number.POSITIVE_INFINITY;
      let hi = 0;
      for (const i of an.ops) {
        lo = Math.min(lo, st[i]!);
        hi = Math.max(hi, du[i] === meta.open ? st[i]! : end(i));
      }
      const pad = Math.max((hi - lo) * 1.5, 20);
      setView(Math.max(0, lo - pad), hi + pad);
      const sel = $('timeline-anomaly') as HTMLSelectElement;
      sel.value = String(k);
    }

    /** The view of the partial linearization's last steps and the operation it got stuck at. */
    function showPartial(k: number): void {
      choosePartial(k);
      partial.on = true;
      const box = document.getElementById('tl-partial') as HTMLInputElement | null;
      if (box) box.checked = true;
      const p = meta.partials[k]!;
      const tail = p.ops.slice(-12).filter((r) => r >= 0);
      if (p.stuck >= 0) tail.push(p.stuck);
      if (tail.length === 0) {
        draw();
        return;
      }
      const lo = Math.min(...tail.map((r) => st[r]!));
      const hi = Math.max(...tail.map((r) => (du[r] === meta.open ? st[r]! : end(r))));
      const pad = Math.max((hi - lo) * 0.3, 20);
      setView(Math.max(0, lo - pad), hi + pad);
    }

    function zoom(factor: number, at = (v.a + v.b) / 2): void {
      setView(at - (at - v.a) * factor, at + (v.b - at) * factor);
    }

    function pan(fraction: number): void {
      const d = (v.b - v.a) * fraction;
      setView(v.a + d, v.b + d);
    }

    function last(): void {
      const from = st[Math.max(0, n - 200)]!;
      setView(from, Math.max(from + 1, lastEnd));
    }

    function setPartial(onOff: boolean): void {
      partial.on = onOff && meta.partials.length > 0;
      const box = document.getElementById('tl-partial') as HTMLInputElement | null;
      if (box) box.checked = partial.on;
      draw();
    }

    /** Drag to pan, wheel to zoom, arrows and +/− from the keyboard, hover for details. */
    function wireCanvas(): void {
      let drag: { x: number; a: number; b: number } | undefined;
      canvas.addEventListener('mousemove', (ev) => {
        if (drag) {
          const d = ((drag.x - ev.clientX) / (canvas.clientWidth - LEFT)) * (drag.b - drag.a);
          setView(drag.a + d, drag.b + d);
        } else hover(ev);
      });
      canvas.addEventListener('mousedown', (ev) => {
        drag = { x: ev.clientX, a: v.a, b: v.b };
      });
      window.addEventListener('mouseup', () => {
        drag = undefined;
      });
      canvas.addEventListener('mouseleave', () => {
        v.tip.style.display = 'none';
      });
      canvas.addEventListener(
        'wheel',
        (ev) => {
          ev.preventDefault();
          const r = canvas.getBoundingClientRect();
          const at = v.a + ((ev.clientX - r.left - LEFT) / (r.width - LEFT)) * (v.b - v.a);
          zoom(ev.deltaY > 0 ? 1.25 : 0.8, at);
        },
        { passive: false },
      );
      canvas.addEventListener('keydown', (ev) => {
        const k: Record<string, () => void> = {
          ArrowLeft: () => pan(-0.2),
          ArrowRight: () => pan(0.2),
          '+': () => zoom(0.5),
          '=': () => zoom(0.5),
          '-': () => zoom(2),
        };
        k[ev.key]?.();
      });
    }

    /** The buttons, the anomaly and partial pickers, the filters. */
    function wireControls(): void {
      const on = (id: string, f: () => void) => $(id).addEventListener('click', f);
      on('tl-in', () => zoom(0.5));
      on('tl-out', () => zoom(2));
      on('tl-all', () => setView(0, Math.max(1, lastEnd)));
      on('tl-first', () => setView(0, Math.min(lastEnd, st[Math.min(n - 1, 200)]! + 1)));
      on('tl-last', () => last());
      on('tl-prev', () => goto(Math.max(0, v.current - 1)));
      on('tl-next', () => goto(Math.min(meta.anomalies.length - 1, v.current + 1)));
      const box = document.getElementById('tl-partial') as HTMLInputElement | null;
      box?.addEventListener('change', () => setPartial(box.checked));
      const which = document.getElementById('tl-partial-which') as HTMLSelectElement | null;
      which?.addEventListener('change', () => showPartial(Number(which.value)));
      const sel = $('timeline-anomaly') as HTMLSelectElement;
      sel.addEventListener('change', () => goto(Number(sel.value)));
      const number = (id: string, list?: string[]) => {
        const value = ($(id) as HTMLInputElement).value.trim();
        if (value === '') return -1;
        if (list) return list.indexOf(value) < 0 ? -2 : list.indexOf(value);
        return /^\d+$/.test(value) ? Number(value) : -2;
      };
      const applyFilter = () => {
        v.filter.key = number('tl-key', meta.keys);
        v.filter.proc = number('tl-proc');
        v.filter.node = number('tl-node', meta.nodes);
        draw();
      };
      for (const id of ['tl-key', 'tl-proc', 'tl-node']) $(id).addEventListener('change', applyFilter);
      for (const el of Array.from(document.querySelectorAll('button.goto')))
        el.addEventListener('click', () => {
          goto(Number((el as HTMLElement).dataset.anomaly) - 1);
          canvas.scrollIntoView({ block: 'center' });
        });
      window.addEventListener('resize', draw);
    }

    wireCanvas();
    wireControls();
    Object.assign(api, {
      goto,
      last,
      zoom,
      pan,
      setView,
      setPartial,
      showPartial,
      partials: meta.partials.length,
      ready: true,
      count: n,
    });
    if (meta.partials.length > 0) choosePartial(0);
    if (meta.anomalies.length > 0) goto(0);
    else draw();
  }
}
