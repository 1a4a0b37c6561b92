/**
 * Causal memory (CM): for each session q, HB_o for o = q's last operation (HB_o grows along PO,
 * so the last one holds every bad pattern of the earlier ones). HB_o starts as CO restricted to
 * o's causal past and gains `w1 → w2` whenever a read r2 of q returns w2 while the same-key
 * write w1 is HB_o-before r2; iterate to a fixpoint. Bad patterns: WriteHBInitRead, CyclicHB.
 *
 * Each round is one Kahn traversal of o's causal past with vector clocks over sessions
 * (the past of o is a prefix of every session), so a round costs O(n·k).
 */
import { type CoResult, IntList, TimeUp } from './core.js';
import { type CausalGraph, lastWriteBelow } from './extract.js';
import { buildExtra, type Extra, findCycle, type Step } from './witness.js';

export interface CmFinding {
  pattern: 'WriteHBInitRead' | 'CyclicHB';
  /** The session whose view is contradictory. */
  session: number;
  /** WriteHBInitRead: the null read and the write HB-before it. CyclicHB: the read forcing the closing edge. */
  read: number;
  write: number;
  /** The HB edges of the fixpoint, for paths. */
  extra: Extra;
  inSet: (v: number) => boolean;
  /** CyclicHB: the cycle. */
  cycle?: Step[];
}

/** Largest clock table (entries) CM will allocate. */
export const CM_MAX_ENTRIES = 1 << 27;

/** Returns the findings (at most `limit`), or throws TimeUp. */
export function checkCm(
  g: CausalGraph,
  co: CoResult,
  ccFlagged: Uint8Array,
  deadline: number,
  limit: number,
): CmFinding[] {
  const { n, k, sess, pos, isWrite, rf, sessStart, readerStart, readers, key, ksStart, ksSess, keyWrites } =
    g;
  const findings: CmFinding[] = [];
  const clk = new Int32Array(Math.max(1, n * k));
  const base = new Int32Array(k + 1);
  const indeg = new Int32Array(n);
  const stack = new Int32Array(n);
  const done = new Uint8Array(n);
  let tick = 0;

  for (let q = 0; q < k && findings.length < limit; q++) {
    let hasRead = false;
    for (let v = sessStart[q]!; v < sessStart[q + 1]!; v++) if (!isWrite[v]) hasRead = true;
    if (!hasRead) continue;
    const bound = new Int32Array(k);
    for (let s = 0; s < k; s++) bound[s] = co.ci[s]! >= 0 ? co.sessClock[q * co.kw + co.ci[s]!]! : 0;
    bound[q] = sessStart[q + 1]! - sessStart[q]!;
    for (let s = 0; s < k; s++) base[s + 1] = base[s]! + bound[s]!;
    const m = base[k]!;
    const inSet = (v: number) => pos[v]! < bound[sess[v]!]!;
    const row = (v: number) => (base[sess[v]!]! + pos[v]!) * k;
    const edges = new IntList();
    const edgeSet = new Set<number>();

    for (;;) {
      const extra = buildExtra(n, edges, 'hb');
      // Kahn over the past of o, with clocks.
      let sp = 0;
      for (let s = 0; s < k; s++)
        for (let v = sessStart[s]!, e = sessStart[s]! + bound[s]!; v < e; v++) {
          done[v] = 0;
          const d = (pos[v]! > 0 ? 1 : 0) + (rf[v]! >= 0 ? 1 : 0) + extra.inStart[v + 1]! - extra.inStart[v]!;
          indeg[v] = d;
          if (d === 0) stack[sp++] = v;
        }
      let visited = 0;
      while (sp > 0) {
        const v = stack[--sp]!;
        done[v] = 1;
        visited++;
        if ((++tick & 0x3fff) === 0 && Date.now() > deadline) throw new TimeUp();
        const rb = row(v);
        if (pos[v]! > 0) clk.copyWithin(rb, rb - k, rb);
        else clk.fill(0, rb, rb + k);
        const merge = (u: number) => {
          const ub = row(u);
          for (let t = 0; t < k; t++) if (clk[ub + t]! > clk[rb + t]!) clk[rb + t] = clk[ub + t]!;
        };
        if (rf[v]! >= 0) merge(rf[v]!);
        for (let i = extra.inStart[v]!; i < extra.inStart[v + 1]!; i++) merge(extra.inFrom[i]!);
        clk[rb + sess[v]!] = pos[v]! + 1;
        for (let i = readerStart[v]!, e = readerStart[v + 1]!; i < e; i++) {
          const r = readers[i]!;
          if (inSet(r) && --indeg[r]! === 0) stack[sp++] = r;
        }
        for (let i = extra.outStart[v]!; i < extra.outStart[v + 1]!; i++) {
          const r = extra.outTo[i]!;
          if (--indeg[r]! === 0) stack[sp++] = r;
        }
        const next = v + 1;
        if (next < n && sess[next] === sess[v] && inSet(next) && --indeg[next]! === 0) stack[sp++] = next;
      }
      if (visited < m) {
        const cycle = findCycle(g, done, extra, inSet);
        const by = cycle.find((st) => st.kind === 'hb')?.by ?? cycle[0]!.to;
        findings.push({ pattern: 'CyclicHB', session: q, read: by, write: -1, extra, inSet, cycle });
        break;
      }

      let changed = false;
      let found: CmFinding | undefined;
      for (let r2 = sessStart[q]!; r2 < sessStart[q + 1]! && !found; r2++) {
        if (isWrite[r2] || ccFlagged[r2]) continue;
        const w2 = rf[r2]!;
        const rb = row(r2);
        const x = key[r2]!;
        for (let j = ksStart[x]!, e = ksStart[x + 1]!; j < e; j++) {
          const s = ksSess[j]!;
          const i = lastWriteBelow(g, j, clk[rb + s]!);
          if (i < 0) continue;
          const w1 = keyWrites[i]!;
          if (w2 < 0) {
            found = { pattern: 'WriteHBInitRead', session: q, read: r2, write: w1, extra, inSet };
            break;
          }
          if (w1 === w2) continue;
          if (clk[row(w1) + sess[w2]!]! > pos[w2]!) {
            // w2 HB-before w1 HB-before r2, which read w2: the forced w1 → w2 closes a cycle.
            found = { pattern: 'CyclicHB', session: q, read: r2, write: w1, extra, inSet };
            break;
          }
          if (clk[row(w2) + s]! > pos[w1]!) continue;
          const id = w1 * n + w2;
          if (!edgeSet.has(id)) {
            edgeSet.add(id);
            edges.push3(w1, w2, r2);
            changed = true;
          }
        }
      }
      if (found) {
        findings.push(found);
        break;
      }
      if (!changed) break;
    }
  }
  return findings;
}
