/// <reference lib="dom" />
/**
 * The page's script, its hover details: the operation under the pointer (per lane, in start
 * order, indexed on the first hover) and its values, decoded from the second blob on the first
 * hover (the first frame does not wait for them). Inlined into the page with `toString()` (see
 * client.ts): it must not refer to anything outside itself.
 */
import type { View } from './client-types.js';

export function timelineHover(
  v: View,
  gunzip: (id: string) => Promise<ArrayBuffer>,
  partialNote: (i: number) => string,
): { hover: (ev: MouseEvent) => void } {
  const { meta, canvas, tip, LEFT, laneH } = v;
  const { n, st, du, ln, pr, ky, nd, fx, tb, ty, end, mark } = v.rows;

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
    const vs = values;
    // Kinds as timeline.ts writes them: null, integer, table entry, none, pair (list index).
    const show = (kind: number, x: number) =>
      kind === 0
        ? 'null'
        : kind === 1
          ? String(x)
          : kind === 2
            ? vs.table[x]!
            : kind === 4
              ? `[${vs.pairs[2 * x]},${vs.pairs[2 * x + 1]}]`
              : '';
    const input = show((tb[i]! >> 2) & 7, vs.input[i]!);
    const output = show((tb[i]! >> 5) & 7, vs.output[i]!);
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
      if (end(i) + tol >= t && v.shown(i)) found = i;
    }
    return found;
  }

  function hover(ev: MouseEvent): void {
    const { a, b } = v;
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

  return { hover };
}
