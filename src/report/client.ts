/// <reference lib="dom" />
/**
 * The report page's script: unpacks the timeline (timeline.ts) and draws it on a canvas that
 * opens at the first anomaly. Zoom (wheel, +/−), pan (drag, ←/→), jump to anomaly N, first/last
 * operation, filters by key, process and node, hover details, fault intervals shaded, witness
 * operations outlined, and the checker's longest partial linearizations drawn as Porcupine's
 * visualizer does (linearization points joined in order, the operation it got stuck at crossed).
 * Only what is in view is drawn; a view of more operations than pixels is rasterised per lane
 * and pixel column first. The values for hovering are decoded on the first hover. The function
 * is inlined into the page with `toString()`, so it must not refer to anything outside itself.
 * Exposes `window.faultlineTimeline` for tests; performance marks `faultline:*` for profiling.
 */
export function timelineClient(): void {
  type Col = 'start' | 'dur' | 'lane' | 'proc' | 'key' | 'node' | 'f' | 'type';
  type Partial = { key: string; ops: number[]; stuck: number; states: string[]; statesFrom: number };
  type Meta = {
    count: number;
    unit: number;
    lanes: number;
    laneLabels: string[];
    keys: string[];
    nodes: string[];
    fs: string[];
    offsets: Record<Col, number>;
    widths: Record<Col, number>;
    values: { input: number; output: number; pairs: number; pairCount: number; table: number };
    faults: Array<{ start: number; end: number; label: string }>;
    anomalies: Array<{ title: string; text: string; ops: number[]; key?: string }>;
    partials: Partial[];
    open: number;
  };
  type U = Uint8Array | Uint16Array | Uint32Array;
  const $ = (id: string) => document.getElementById(id)!;
  const meta = JSON.parse($('timeline-meta').textContent!) as Meta;
  const COLORS = ['#66bb6a', '#ef5350', '#ffb74d'];
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

  function start(buf: ArrayBuffer): void {
    const n = meta.count;
    const col = (c: Col): U => {
      const w = meta.widths[c];
      const C = w === 1 ? Uint8Array : w === 2 ? Uint16Array : Uint32Array;
      return new C(buf, meta.offsets[c], n);
    };
    // Starts arrive as deltas (they compress to almost nothing); sum them once.
    const st = new Uint32Array(col('start'));
    for (let i = 1; i < n; i++) st[i]! += st[i - 1]!;
    const du = col('dur');
    const ln = col('lane');
    const pr = col('proc');
    const ky = col('key');
    const nd = col('node');
    const fx = col('f');
    const tb = col('type');
    const ty = (i: number) => tb[i]! & 3;
    let lastEnd = 0;
    let maxDur = 0;
    const openOps: number[] = [];
    for (let i = 0; i < n; i++) {
      const d = du[i]!;
      if (d === meta.open) openOps.push(i);
      else {
        if (d > maxDur) maxDur = d;
        if (st[i]! + d > lastEnd) lastEnd = st[i]! + d;
      }
      if (st[i]! > lastEnd) lastEnd = st[i]!;
    }
    const end = (i: number) => (du[i] === meta.open ? lastEnd : st[i]! + du[i]!);
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

    /** Calls `each` for every shown operation intersecting [a, b]; returns how many were ok. */
    function visible(each: (i: number) => void): number {
      let ok = 0;
      const one = (i: number) => {
        if (!shown(i) || end(i) < a || st[i]! > b) return;
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
    function drawBars(x: (t: number) => number, w: number, rows: number[]): void {
      for (let pass = 0; pass < 3; pass++) {
        ctx.fillStyle = COLORS[pass]!;
        for (const i of rows) {
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
      const W = Math.max(1, Math.ceil(w - LEFT));
      const grid = new Uint8Array(meta.lanes * W);
      const scale = W / (b - a);
      const ok = visible((i) => {
        const p0 = Math.max(0, Math.floor((st[i]! - a) * scale));
        const p1 = Math.min(W - 1, Math.floor((end(i) - a) * scale));
        const row = ln[i]! * W;
        const v = ty(i) + 1;
        for (let p = p0; p <= p1; p++) if (grid[row + p]! < v) grid[row + p] = v;
      });
      for (let l = 0; l < meta.lanes; l++) {
        const row = l * W;
        for (let p = 0; p < W; ) {
          const v = grid[row + p]!;
          let q = p + 1;
          while (q < W && grid[row + q] === v) q++;
          if (v) {
            ctx.fillStyle = COLORS[v - 1]!;
            ctx.fillRect(LEFT + p, l * laneH + 1, q - p, laneH - 2);
          }
          p = q;
        }
      }
      return ok;
    }

    function drawFaults(x: (t: number) => number, w: number, lanesH: number): void {
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

    // The partial linearization shown: its rows, and each one's linearization point (the
    // earliest moment inside the operation's interval not before the previous point).
    const partial = {
      on: meta.partials.length > 0,
      index: -1,
      rows: new Int32Array(0),
      points: new Float64Array(0),
      step: new Map<number, number>(),
    };

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
      const from = Math.max(0, stepAt(a) - 1);
      const to = Math.min(partial.points.length, stepAt(b) + 1);
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
      if (count <= 400) {
        ctx.font = '10px system-ui,sans-serif';
        for (let j = from; j < to; j++) {
          const r = partial.rows[j]!;
          const px = x(partial.points[j]!);
          if (r < 0 || px < LEFT) continue;
          ctx.strokeRect(
            Math.max(LEFT, x(st[r]!)),
            ln[r]! * laneH,
            Math.max(2, x(end(r)) - x(st[r]!)),
            laneH,
          );
          ctx.beginPath();
          ctx.arc(px, cy(r), 3, 0, 2 * Math.PI);
          ctx.fill();
          if (count <= 150) ctx.fillText(String(j + 1), px + 3, ln[r]! * laneH + laneH - 1);
        }
      }
      return { points: drawn, stuck: drawStuck(p, x, w) };
    }

    /** The operation the search could not place next: outlined and crossed in red. */
    function drawStuck(p: Partial, x: (t: number) => number, w: number): boolean {
      const r = p.stuck;
      if (r < 0 || end(r) < a || st[r]! > b) return false;
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

    function draw(): void {
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
        const rows: number[] = [];
        inView = visible((i) => rows.push(i));
        drawBars(x, w, rows);
      }
      drawFaults(x, w, lanesH);
      if (current >= 0) {
        ctx.strokeStyle = '#000';
        ctx.lineWidth = 2;
        for (const i of meta.anomalies[current]!.ops) {
          const x0 = Math.max(LEFT, x(st[i]!));
          ctx.strokeRect(x0 - 1, ln[i]! * laneH, Math.max(3, Math.min(w, x(end(i))) - x0 + 2), laneH);
        }
      }
      const drawnPartial = drawPartial(x, w);
      drawAxis(x, lanesH);
      const sec = meta.unit / 1e9;
      const first = lowerBound(a);
      const last = Math.max(first, lowerBound(b + 1)) - 1;
      const p = meta.partials[partial.index];
      readout.textContent = `${(a * sec).toFixed(3)}–${(b * sec).toFixed(3)} s · operations ${first + 1}–${last + 1} of ${n} started in view${current >= 0 ? ` · anomaly ${current + 1} of ${meta.anomalies.length}` : ''}${partial.on && p ? ` · partial linearization of key ${p.key}: ${p.ops.length} operations, ${drawnPartial.points} points in view` : ''}`;
      Object.assign(api, { view: [a, b], firstInView: first, lastInView: last, drawnOk: inView });
      api.partial = { on: partial.on, index: partial.index, ...drawnPartial };
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

    function zoom(factor: number, at = (a + b) / 2): void {
      setView(at - (at - a) * factor, at + (b - at) * factor);
    }

    function pan(fraction: number): void {
      const d = (b - a) * fraction;
      setView(a + d, b + d);
    }

    // The values, decoded on the first hover (the first frame does not wait for them).
    let values:
      | { input: Int32Array; output: Int32Array; pairs: Int32Array; table: string[] }
      | 'loading'
      | undefined;
    let lastHover: MouseEvent | undefined;
    function loadValues(): void {
      values = 'loading';
      gunzip('timeline-values').then((vb) => {
        const table = JSON.parse(new TextDecoder().decode(new Uint8Array(vb, meta.values.table))) as string[];
        values = {
          input: new Int32Array(vb, meta.values.input, n),
          output: new Int32Array(vb, meta.values.output, n),
          pairs: new Int32Array(vb, meta.values.pairs, 2 * meta.values.pairCount),
          table,
        };
        if (lastHover && tip.style.display === 'block') hover(lastHover);
      });
    }

    function opText(i: number): string {
      if (values === undefined) loadValues();
      if (values === undefined || values === 'loading') return '…';
      const v = values;
      // Kinds as timeline.ts writes them: null, integer, table entry, none, pair (list index).
      const show = (kind: number, x: number) =>
        kind === 0
          ? 'null'
          : kind === 1
            ? String(x)
            : kind === 2
              ? v.table[x]!
              : kind === 4
                ? `[${v.pairs[2 * x]},${v.pairs[2 * x + 1]}]`
                : '';
      const input = show((tb[i]! >> 2) & 7, v.input[i]!);
      const output = show((tb[i]! >> 5) & 7, v.output[i]!);
      return output ? (input === 'null' ? `→ ${output}` : `${input} → ${output}`) : input;
    }

    // Operations per lane in start order (a lane runs one at a time), built on the first hover.
    let laneCount: Int32Array | undefined;
    let laneOps: Int32Array | undefined;
    function lanesIndex(): void {
      const count = new Int32Array(meta.lanes + 1);
      for (let i = 0; i < n; i++) count[ln[i]! + 1]!++;
      for (let l = 0; l < meta.lanes; l++) count[l + 1]! += count[l]!;
      const ops = new Int32Array(n);
      const fill = count.slice(0, meta.lanes);
      for (let i = 0; i < n; i++) ops[fill[ln[i]!]!++] = i;
      laneCount = count;
      laneOps = ops;
    }

    function opAt(lane: number, t: number, tol: number): number {
      if (!laneCount || !laneOps) lanesIndex();
      let found = -1;
      for (let k = laneCount![lane]!; k < laneCount![lane + 1]!; k++) {
        const i = laneOps![k]!;
        if (st[i]! - tol > t) break;
        if (end(i) + tol >= t && shown(i)) found = i;
      }
      return found;
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

    function hover(ev: MouseEvent): void {
      lastHover = ev;
      const r = canvas.getBoundingClientRect();
      const px = ev.clientX - r.left;
      const lane = Math.floor((ev.clientY - r.top) / laneH);
      const i =
        px < LEFT || lane < 0 || lane >= meta.lanes
          ? -1
          : opAt(lane, a + ((px - LEFT) / (r.width - LEFT)) * (b - a), ((b - a) / (r.width - LEFT)) * 2);
      if (i < 0) {
        tip.style.display = 'none';
        return;
      }
      const sec = meta.unit / 1e9;
      const type = ['ok', 'fail', 'info'][ty(i)];
      const key = meta.keys[ky[i]!] ? ` key ${meta.keys[ky[i]!]}` : '';
      const node = meta.nodes[nd[i]!] ? ` on ${meta.nodes[nd[i]!]}` : '';
      const when = `${(st[i]! * sec).toFixed(3)}–${du[i] === meta.open ? '…' : `${(end(i) * sec).toFixed(3)} s`}`;
      tip.textContent = `#${i + 1} process ${pr[i]}${node}: ${meta.fs[fx[i]!]}${key} ${opText(i)} (${type}) ${when}${mark[i] ? ' · witness' : ''}${partialNote(i)}`;
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
    function setPartial(onOff: boolean): void {
      partial.on = onOff && meta.partials.length > 0;
      const box = document.getElementById('tl-partial') as HTMLInputElement | null;
      if (box) box.checked = partial.on;
      draw();
    }
    const box = document.getElementById('tl-partial') as HTMLInputElement | null;
    box?.addEventListener('change', () => setPartial(box.checked));
    const which = document.getElementById('tl-partial-which') as HTMLSelectElement | null;
    which?.addEventListener('change', () => showPartial(Number(which.value)));
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
