/// <reference lib="dom" />
/**
 * The page's script, its unpacking: the first blob's columns as typed arrays over the buffer,
 * starts summed from their deltas. Inlined into the page with `toString()` (see client.ts): it
 * must not refer to anything outside itself.
 */
import type { Col, Meta, Rows, U } from './client-types.js';

export function clientRows(meta: Meta, buf: ArrayBuffer): Rows {
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
  const tb = col('type');
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
  return {
    n,
    st,
    du,
    ln: col('lane'),
    pr: col('proc'),
    ky: col('key'),
    nd: col('node'),
    fx: col('f'),
    tb,
    lastEnd,
    maxDur,
    openOps,
    mark: new Uint8Array(n),
    ty: (i: number) => tb[i]! & 3,
    end: (i: number) => (du[i] === meta.open ? lastEnd : st[i]! + du[i]!),
    lowerBound,
  };
}
