/// <reference lib="dom" />
/**
 * The report page's script: unpacks the timeline (timeline.ts) and draws it on a canvas that
 * opens at the first anomaly. Zoom (wheel, +/−), pan (drag, ←/→), jump to anomaly N, first/last
 * operation, filters by key, process and node, hover details, fault intervals shaded, witness
 * operations outlined. The function is inlined into the page with `toString()`, so it must not
 * refer to anything outside itself. Exposes `window.faultlineTimeline` for tests.
 */
export function timelineClient(): void {
  type Meta = {
    count: number;
    unit: number;
    lanes: number;
    laneLabels: string[];
    keys: string[];
    nodes: string[];
    fs: string[];
    offsets: Record<string, number>;
    faults: Array<{ start: number; end: number; label: string }>;
    anomalies: Array<{ title: string; text: string; ops: number[] }>;
    open: number;
  };
  const $ = (id: string) => document.getElementById(id)!;
  const meta = JSON.parse($('timeline-meta').textContent!) as Meta;
  const COLORS = ['#66bb6a', '#ef5350', '#ffb74d'];
  const api: Record<string, unknown> = { ready: false, anomalies: meta.anomalies.length };
  (window as unknown as { faultlineTimeline: unknown }).faultlineTimeline = api;

  async function unpack(): Promise<ArrayBuffer> {
    const bin = atob($('timeline-data').textContent!.trim());
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Response(stream).arrayBuffer();
  }

  unpack().then((buf) => start(buf));

  function start(buf: ArrayBuffer): void {
    const n = meta.count;
    const o = meta.offsets;
    const st = new Uint32Array(buf, o.start, n);
    const du = new Uint32Array(buf, o.dur, n);
    const ln = new Uint32Array(buf, o.lane, n);
    const pr = new Uint32Array(buf, o.proc, n);
    const ky = new Uint32Array(buf, o.key, n);
    const nd = new Uint16Array(buf, o.node, n);
    const fx = new Uint16Array(buf, o.f, n);
    const ty = new Uint8Array(buf, o.type, n);
    const textBytes = new Uint8Array(buf, o.text!);
    let lastEnd = 0;
    let maxDur = 0;
    const openOps: number[] = [];
    for (let i = 0; i < n; i++) {
      if (du[i] === meta.open) openOps.push(i);
      else {
        if (du[i]! > maxDur) maxDur = du[i]!;
        if (st[i]! + du[i]! > lastEnd) lastEnd = st[i]! + du[i]!;
      }
      if (st[i]! > lastEnd) lastEnd = st[i]!;
    }
    const end = (i: number) => (du[i] === meta.open ? lastEnd : st[i]! + du[i]!);
    // Operations per lane, in start order (a lane runs one operation at a time).
    const laneCount = new Int32Array(meta.lanes + 1);
    for (let i = 0; i < n; i++) laneCount[ln[i]! + 1]!++;
    for (let l = 0; l < meta.lanes; l++) laneCount[l + 1]! += laneCount[l]!;
    const laneOps = new Int32Array(n);
    const fill = laneCount.slice(0, meta.lanes);
    for (let i = 0; i < n; i++) laneOps[fill[ln[i]!]!++] = i;
    const mark = new Uint8Array(n);

    const canvas = $('timeline') as HTMLCanvasElement;
    const ctx = canvas.getContext('2d')!;
    const tip = $('timeline-tip');
    const readout = $('timeline-readout');
    const LEFT = 70;
    const AXIS = 36;
    const laneH = Math.max(3, Math.min(14, Math.floor(420 / Math.max(1, meta.lanes))));
    let a = 0;
    let b = Math.max(1, lastEnd);
    let current = -1;
    const filter = { key: -1, proc: -1, node: -1 };
    const shown = (i: number) =>
      (filter.key < 0 || ky[i] === filter.key) &&
      (filter.proc < 0 || pr[i] === filter.proc) &&
      (filter.node < 0 || nd[i] === filter.node);

    function lowerBound(t: number): number {
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (st[mid]! < t) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    }

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

    function draw(): void {
      const { w, h } = size();
      const plotW = w - LEFT;
      const x = (t: number) => LEFT + ((t - a) / (b - a)) * plotW;
      const lanesH = meta.lanes * laneH;
      ctx.clearRect(0, 0, w, h);
      const from = lowerBound(a - maxDur);
      const to = lowerBound(b + 1);
      let inView = 0;
      const dense = to - from > 20000;
      for (let pass = 0; pass < 3; pass++) {
        ctx.fillStyle = COLORS[pass]!;
        const one = (i: number) => {
          if (ty[i] !== pass || !shown(i)) return;
          const e = end(i);
          if (e < a || st[i]! > b) return;
          if (pass === 0) inView++;
          const x0 = Math.max(LEFT, x(st[i]!));
          const x1 = Math.min(w, x(e));
          const gap = dense || x1 - x0 < 3 ? 0 : 1;
          ctx.fillRect(x0, ln[i]! * laneH + 1, Math.max(1, x1 - x0 - gap), laneH - 2);
        };
        for (let i = from; i < to; i++) one(i);
        for (const i of openOps) if (i < from || i >= to) one(i);
      }
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
      if (current >= 0) {
        ctx.strokeStyle = '#000';
        ctx.lineWidth = 2;
        for (const i of meta.anomalies[current]!.ops) {
          const x0 = Math.max(LEFT, x(st[i]!));
          ctx.strokeRect(x0 - 1, ln[i]! * laneH, Math.max(3, Math.min(w, x(end(i))) - x0 + 2), laneH);
        }
      }
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
      const first = lowerBound(a);
      const last = Math.max(first, lowerBound(b + 1)) - 1;
      readout.textContent = `${(a * sec).toFixed(3)}–${(b * sec).toFixed(3)} s · operations ${first + 1}–${last + 1} of ${n} started in view${current >= 0 ? ` · anomaly ${current + 1} of ${meta.anomalies.length}` : ''}`;
      api.view = [a, b];
      api.firstInView = first;
      api.lastInView = last;
      api.drawnOk = inView;
    }

    function setView(na: number, nb: number): void {
      const span = Math.max(nb - na, 1);
      a = na;
      b = na + span;
      draw();
    }

    function goto(k: number): void {
      const an = meta.anomalies[k];
      if (!an || an.ops.length === 0) return;
      mark.fill(0);
      for (const i of an.ops) mark[i] = 1;
      current = k;
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

    function zoom(factor: number, at = (a + b) / 2): void {
      setView(at - (at - a) * factor, at + (b - at) * factor);
    }

    function pan(fraction: number): void {
      const d = (b - a) * fraction;
      setView(a + d, b + d);
    }

    function opText(i: number): string {
      // The i-th line of the text column (found by scanning for newlines once, lazily).
      if (!lineStarts) {
        lineStarts = new Int32Array(n + 1);
        let k = 1;
        for (let j = 0; j < textBytes.length && k <= n; j++) if (textBytes[j] === 10) lineStarts[k++] = j + 1;
        lineStarts[n] = textBytes.length + 1;
      }
      const s = new TextDecoder().decode(textBytes.subarray(lineStarts[i]!, lineStarts[i + 1]! - 1));
      const [input, output] = s.split('\t');
      return output ? (input === 'null' ? `→ ${output}` : `${input} → ${output}`) : input!;
    }
    let lineStarts: Int32Array | undefined;

    function hover(ev: MouseEvent): void {
      const r = canvas.getBoundingClientRect();
      const px = ev.clientX - r.left;
      const lane = Math.floor((ev.clientY - r.top) / laneH);
      if (px < LEFT || lane < 0 || lane >= meta.lanes) {
        tip.style.display = 'none';
        return;
      }
      const t = a + ((px - LEFT) / (r.width - LEFT)) * (b - a);
      const tol = ((b - a) / (r.width - LEFT)) * 2;
      let found = -1;
      for (let k = laneCount[lane]!; k < laneCount[lane + 1]!; k++) {
        const i = laneOps[k]!;
        if (st[i]! - tol > t) break;
        if (end(i) + tol >= t && shown(i)) found = i;
      }
      if (found < 0) {
        tip.style.display = 'none';
        return;
      }
      const i = found;
      const sec = meta.unit / 1e9;
      const type = ['ok', 'fail', 'info'][ty[i]!];
      const key = meta.keys[ky[i]!] ? ` key ${meta.keys[ky[i]!]}` : '';
      const node = meta.nodes[nd[i]!] ? ` on ${meta.nodes[nd[i]!]}` : '';
      const when = `${(st[i]! * sec).toFixed(3)}–${du[i] === meta.open ? '…' : `${(end(i) * sec).toFixed(3)} s`}`;
      tip.textContent = `#${i + 1} process ${pr[i]}${node}: ${meta.fs[fx[i]!]}${key} ${opText(i)} (${type}) ${when}${mark[i] ? ' · witness' : ''}`;
      tip.style.display = 'block';
      tip.style.left = `${ev.pageX + 12}px`;
      tip.style.top = `${ev.pageY + 12}px`;
    }

    let drag: { x: number; a: number; b: number } | undefined;
    canvas.addEventListener('mousemove', (ev) => {
      if (drag) {
        const d = ((drag.x - ev.clientX) / (canvas.clientWidth - LEFT)) * (drag.b - drag.a);
        setView(drag.a + d, drag.b + d);
      } else hover(ev);
    });
    canvas.addEventListener('mousedown', (ev) => {
      drag = { x: ev.clientX, a, b };
    });
    window.addEventListener('mouseup', () => {
      drag = undefined;
    });
    canvas.addEventListener('mouseleave', () => {
      tip.style.display = 'none';
    });
    canvas.addEventListener(
      'wheel',
      (ev) => {
        ev.preventDefault();
        const r = canvas.getBoundingClientRect();
        const at = a + ((ev.clientX - r.left - LEFT) / (r.width - LEFT)) * (b - a);
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
    const on = (id: string, f: () => void) => $(id).addEventListener('click', f);
    on('tl-in', () => zoom(0.5));
    on('tl-out', () => zoom(2));
    on('tl-all', () => setView(0, Math.max(1, lastEnd)));
    on('tl-first', () => setView(0, Math.min(lastEnd, st[Math.min(n - 1, 200)]! + 1)));
    on('tl-last', () => last());
    on('tl-prev', () => goto(Math.max(0, current - 1)));
    on('tl-next', () => goto(Math.min(meta.anomalies.length - 1, current + 1)));
    function last(): void {
      const from = st[Math.max(0, n - 200)]!;
      setView(from, Math.max(from + 1, lastEnd));
    }
    const sel = $('timeline-anomaly') as HTMLSelectElement;
    sel.addEventListener('change', () => goto(Number(sel.value)));
    const number = (id: string, list?: string[]) => {
      const v = ($(id) as HTMLInputElement).value.trim();
      if (v === '') return -1;
      if (list) return list.indexOf(v) < 0 ? -2 : list.indexOf(v);
      return /^\d+$/.test(v) ? Number(v) : -2;
    };
    const applyFilter = () => {
      filter.key = number('tl-key', meta.keys);
      filter.proc = number('tl-proc');
      filter.node = number('tl-node', meta.nodes);
      draw();
    };
    for (const id of ['tl-key', 'tl-proc', 'tl-node']) $(id).addEventListener('change', applyFilter);
    for (const el of Array.from(document.querySelectorAll('button.goto')))
      el.addEventListener('click', () => {
        goto(Number((el as HTMLElement).dataset.anomaly) - 1);
        canvas.scrollIntoView({ block: 'center' });
      });
    window.addEventListener('resize', draw);
    Object.assign(api, { goto, last, zoom, pan, setView, ready: true, count: n });
    if (meta.anomalies.length > 0) goto(0);
    else draw();
  }
}
