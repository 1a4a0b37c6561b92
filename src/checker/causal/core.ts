/**
 * The fast algorithm for CC and CCv (shared/spec/causal.md, "Algorithm that scales"):
 * a Kahn traversal of PO ∪ RF computing vector clocks over sessions, the per-read checks for
 * WriteCOInitRead / WriteCORead against the last write of each session in the read's causal
 * past, the conflict edges they force, and a cycle check on PO ∪ RF ∪ CF. O(n·k) time.
 */
import { type CausalGraph, lastWriteBelow } from './extract.js';
import { RowStore } from './rows.js';

/**
 * Tuning knobs, for tests that must reach every code path on small histories: a key written by
 * at least a `denseShare` part of the writing sessions gets a column → run table (0: every key,
 * Infinity: none); `compact` acts as if the clocks never fit: `checkCoCompact`, no precise pass;
 * without every clock, a cycle of CO ∪ CF is resolved by searching the causal order from each
 * candidate conflict edge when candidates × operations is at most `cycleSearch`.
 */
export const tuning = { denseShare: 0.25, compact: false, cycleSearch: 5e7 };

/**
 * Bytes `checkCo` may need for clocks: per-session clocks and merge marks (k × writing
 * sessions each), and a row per write at worst. Above the budget `checkCoCompact` runs instead.
 */
export function denseClockBytes(g: CausalGraph): number {
  const { n, k, sess, isWrite, sessStart } = g;
  const writing = new Uint8Array(k);
  let kw = 0;
  let writes = 0;
  let maxLen = 0;
  for (let v = 0; v < n; v++)
    if (isWrite[v]) {
      writes++;
      if (!writing[sess[v]!]) {
        writing[sess[v]!] = 1;
        kw++;
      }
    }
  for (let s = 0; s < k; s++) maxLen = Math.max(maxLen, sessStart[s + 1]! - sessStart[s]!);
  return 8 * k * kw + writes * kw * (maxLen + 1 >= 0xffff ? 4 : 2);
}

/** Thrown from the hot loops when the time budget is spent. */
export class TimeUp extends Error {}

/** A growable Int32 list (tuples are stored flat). */
export class IntList {
  data: Int32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Int32Array(capacity);
  }
  push(a: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = a;
  }
  push3(a: number, b: number, c: number): void {
    this.push(a);
    this.push(b);
    this.push(c);
  }
  at(i: number): number {
    return this.data[i]!;
  }
}

export interface CoResult {
  /** Nodes visited by the traversal (all of them unless PO ∪ RF has a cycle). */
  visited: number;
  done: Uint8Array;
  /** Clock rows of writes (own-session entry not stored: use `vcAt`). */
  rows: RowStore;
  rowOf: Int32Array;
  /**
   * Clock columns: only sessions that write have one (nobody can have a read-only session's
   * operations in their causal past). `ci[s]` is s's column or -1; `kw` columns in all.
   */
  ci: Int32Array;
  kw: number;
  /** The clock of each session's last visited node, k×kw. */
  sessClock: Int32Array;
  /** (read, write seen in its past) pairs. */
  initReads: IntList;
  /** (read, w1 it read, w2 overwriting w1 in its past) triples. */
  overwrittenReads: IntList;
  /** Conflict edges (w2, w1, read that forces w2 before w1): flat triples. */
  cf: IntList;
  /** Whether `rows`/`rowOf`/`sessClock` hold every write's clock (false: `checkCoCompact`). */
  exact: boolean;
}

/** VC(w)[t] for a write w. */
export function vcAt(g: CausalGraph, co: CoResult, w: number, t: number): number {
  return g.sess[w] === t ? g.pos[w]! + 1 : co.rows.get(co.rowOf[w]!, co.ci[t]!);
}

/** Does `a →CO b` hold, for a write a and a write b (both visited)? */
export function coBefore(g: CausalGraph, co: CoResult, a: number, b: number): boolean {
  return a !== b && vcAt(g, co, b, g.sess[a]!) > g.pos[a]!;
}

/**
 * Clock columns: only sessions that write have one (nobody can have a read-only session's
 * operations in their causal past); `ci[s]` is s's column or -1, `kw` columns in all, `ksCol[j]`
 * the column of run j. Keys written by many sessions get a column → run table (`runOfCol` from
 * `denseAt[x]`), so that a read of such a key can visit only the columns where its clock
 * exceeds the write it read (collected while merging) instead of every session that wrote the
 * key. At most 1 / denseShare entries per run in all. `maxLen`: the longest session.
 */
export function clockColumns(g: CausalGraph) {
  const { n, k, sess, isWrite, sessStart, ksStart, ksSess } = g;
  let maxLen = 0;
  for (let s = 0; s < k; s++) maxLen = Math.max(maxLen, sessStart[s + 1]! - sessStart[s]!);
  const ci = new Int32Array(k).fill(-1);
  let kw = 0;
  let writes = 0;
  for (let v = 0; v < n; v++)
    if (isWrite[v]) {
      writes++;
      if (ci[sess[v]!]! < 0) ci[sess[v]!] = kw++;
    }
  const ksCol = new Int32Array(ksSess.length);
  for (let j = 0; j < ksSess.length; j++) ksCol[j] = ci[ksSess[j]!]!;
  const K = ksStart.length - 1;
  const denseAt = new Int32Array(K).fill(-1);
  let denseSize = 0;
  for (let x = 0; x < K; x++)
    if (ksStart[x + 1]! - ksStart[x]! >= kw * tuning.denseShare) {
      denseAt[x] = denseSize;
      denseSize += kw;
    }
  const runOfCol = new Int32Array(denseSize).fill(-1);
  for (let x = 0; x < K; x++)
    if (denseAt[x]! >= 0)
      for (let j = ksStart[x]!; j < ksStart[x + 1]!; j++) runOfCol[denseAt[x]! + ksCol[j]!] = j;
  return { maxLen, ci, kw, writes, ksCol, denseAt, runOfCol };
}

/**
 * The start of Kahn's algorithm on PO ∪ RF: each node's in-degree, and the nodes without one
 * on a stack, the first node on top when `firstOnTop`.
 */
export function kahnRoots(g: CausalGraph, firstOnTop = false) {
  const { n, pos, rf } = g;
  const indeg = new Uint8Array(n);
  const stack = new Int32Array(n);
  let sp = 0;
  for (let i = 0; i < n; i++) {
    const v = firstOnTop ? n - 1 - i : i;
    const d = (pos[v]! > 0 ? 1 : 0) + (rf[v]! >= 0 ? 1 : 0);
    indeg[v] = d;
    if (d === 0) stack[sp++] = v;
  }
  return { indeg, stack, sp };
}

/**
 * One traversal. With `precise` false (the fast path) a candidate w2 from another session than
 * w1 is not tested for `w1 →CO w2`: it only yields the conflict edge w2 → w1, which closes a
 * cycle of CO ∪ CF whenever w1 →CO w2 holds. So when PO ∪ RF ∪ CF is acyclic there is no
 * WriteCORead either, and only a cyclic result needs the precise pass to tell them apart.
 * This saves one random access into a clock row per candidate.
 */
export function checkCo(
  g: CausalGraph,
  deadline: number,
  precise = true,
  budget = Number.POSITIVE_INFINITY,
): CoResult {
  const { n, k, sess, pos, isWrite, key, rf, readerStart, readers } = g;
  const { ksStart, ksFrom, keyWrites, keyWritePos } = g;
  const { maxLen, ci, kw, writes, ksCol, denseAt, runOfCol } = clockColumns(g);
  const rows = new RowStore(kw, maxLen + 1, writes, budget);
  /** Columns where the reader's clock exceeds the clock of the write it read, from the merge. */
  const diff = new Int32Array(Math.max(1, kw));
  const rowOf = new Int32Array(n).fill(-1);
  const sessClock = new Int32Array(k * kw);
  /** The newest row of session t (by column) that session s has merged: older ones are dominated. */
  const merged = new Int32Array(k * kw).fill(-1);
  const lastRow = new Int32Array(k).fill(-1);
  const dirty = new Uint8Array(k);
  const done = new Uint8Array(n);
  const roots = kahnRoots(g);
  const { indeg, stack } = roots;
  let sp = roots.sp;
  const initReads = new IntList();
  const overwrittenReads = new IntList();
  const cf = new IntList(1 << 16);
  const lastCfTarget = new Int32Array(n).fill(-1);
  const { chunks, shift, mask } = rows;
  let visited = 0;

  while (sp > 0) {
    const v = stack[--sp]!;
    done[v] = 1;
    visited++;
    if ((visited & 0x3fff) === 0 && Date.now() > deadline) throw new TimeUp();
    const s = sess[v]!;
    const cb = s * kw;
    const own = ci[s]!;
    if (isWrite[v]) {
      sessClock[cb + own] = pos[v]! + 1;
      if (dirty[s] || lastRow[s]! < 0) {
        lastRow[s] = rows.push(sessClock, cb);
        dirty[s] = 0;
      }
      rowOf[v] = lastRow[s]!;
      // successors: PO-next and readers
      for (let i = readerStart[v]!, e = readerStart[v + 1]!; i < e; i++) {
        const r = readers[i]!;
        if (--indeg[r]! === 0) stack[sp++] = r;
      }
    } else {
      const w1 = rf[v]!;
      const x = key[v]!;
      if (w1 >= 0) {
        const t = sess[w1]!;
        const ct = ci[t]!;
        const dense = denseAt[x]!;
        /** Number of diff columns, or -1 when they are unknown (no merge loop ran). */
        let nd = -1;
        // VC(v) = VC(v-1) ⊔ VC(w1)
        // Nothing to merge when w1 is already in v's past (then so is all of w1's past), or when
        // a later row of w1's session was merged before.
        if (t !== s && sessClock[cb + ct]! <= pos[w1]!) {
          const row = rowOf[w1]!;
          let ch = 0;
          if (row > merged[cb + ct]!) {
            merged[cb + ct] = row;
            const chunk = chunks[row >>> shift]!;
            const rb = (row & mask) * kw;
            if (dense < 0)
              for (let u = 0; u < kw; u++) {
                const a = chunk[rb + u]!;
                if (a > sessClock[cb + u]!) {
                  sessClock[cb + u] = a;
                  ch = 1;
                }
              }
            else {
              // Rows of a session only grow, so row(w1) is VC(w1) on every column but ct.
              nd = 0;
              for (let u = 0; u < kw; u++) {
                const a = chunk[rb + u]!;
                const b = sessClock[cb + u]!;
                if (a > b) {
                  sessClock[cb + u] = a;
                  ch = 1;
                } else if (b > a) diff[nd++] = u;
              }
            }
          }
          const ownW = pos[w1]! + 1;
          if (ownW > sessClock[cb + ct]!) {
            sessClock[cb + ct] = ownW;
            ch = 1;
          }
          if (ch) dirty[s] = 1;
        }
        if (own >= 0) sessClock[cb + own] = pos[v]! + 1;
        // The last x-write of each session in VC(v), against w1.
        const p1 = pos[w1]!;
        const row1 = rowOf[w1]!;
        const chunk1 = chunks[row1 >>> shift]!;
        const rb1 = (row1 & mask) * kw;
        // With the diff columns known, visit ct (whose row entry may lag w1) and then only
        // them; otherwise every session that wrote x.
        const m = nd < 0 ? ksStart[x + 1]! - ksStart[x]! : nd + 1;
        for (let d = 0; d < m; d++) {
          let j: number;
          if (nd < 0) j = ksStart[x]! + d;
          else {
            const c = d === 0 ? ct : diff[d - 1]!;
            if (d > 0 && c === ct) continue;
            j = runOfCol[dense + c]!;
            if (j < 0) continue;
          }
          const c2 = ksCol[j]!;
          const vr = sessClock[cb + c2]!;
          const vw = c2 === ct ? p1 + 1 : chunk1[rb1 + c2]!;
          // s2's x-writes at positions in [vw, vr) are in v's past and not in w1's.
          if (vr <= vw || keyWritePos[ksFrom[j + 1]! - 1]! < vw || keyWritePos[ksFrom[j]!]! >= vr) continue;
          const i = lastWriteBelow(g, j, vr);
          if (keyWritePos[i]! < vw) continue;
          const w2 = keyWrites[i]!;
          // w1 →CO w2 ?
          let after = c2 === ct;
          if (!after && precise) {
            const row2 = rowOf[w2]!;
            after = chunks[row2 >>> shift]![(row2 & mask) * kw + ct]! > p1;
          }
          if (after) {
            overwrittenReads.push3(v, w1, w2);
            break;
          }
          if (lastCfTarget[w2] !== w1) {
            lastCfTarget[w2] = w1;
            cf.push3(w2, w1, v);
          }
        }
      } else {
        if (own >= 0) sessClock[cb + own] = pos[v]! + 1;
        for (let j = ksStart[x]!, e = ksStart[x + 1]!; j < e; j++) {
          const bound = sessClock[cb + ksCol[j]!]!;
          if (keyWritePos[ksFrom[j]!]! < bound) {
            initReads.push(v);
            initReads.push(keyWrites[lastWriteBelow(g, j, bound)]!);
            break;
          }
        }
      }
    }
    const next = v + 1;
    if (next < n && sess[next] === s && --indeg[next]! === 0) stack[sp++] = next;
  }
  return { visited, done, rows, rowOf, ci, kw, sessClock, initReads, overwrittenReads, cf, exact: true };
}

/**
 * Kahn's algorithm on PO ∪ RF ∪ extra edges (flat (from, to, …) tuples of `width` ints).
 * Returns the visited flags; a node left unvisited lies on or after a cycle.
 */
export function kahnWithExtra(
  g: CausalGraph,
  extra: IntList,
  width: number,
  deadline: number,
): { visited: number; done: Uint8Array } {
  const { n, pos, rf, sess, readerStart, readers } = g;
  const m = extra.length / width;
  const outStart = new Int32Array(n + 1);
  const indeg = new Int32Array(n);
  for (let e = 0; e < m; e++) {
    outStart[extra.data[e * width]! + 1]!++;
    indeg[extra.data[e * width + 1]!]!++;
  }
  for (let v = 0; v < n; v++) outStart[v + 1]! += outStart[v]!;
  const out = new Int32Array(m);
  const fill = outStart.slice(0, n);
  for (let e = 0; e < m; e++) out[fill[extra.data[e * width]!]!++] = extra.data[e * width + 1]!;
  const stack = new Int32Array(n);
  let sp = 0;
  for (let v = 0; v < n; v++) {
    indeg[v]! += (pos[v]! > 0 ? 1 : 0) + (rf[v]! >= 0 ? 1 : 0);
    if (indeg[v] === 0) stack[sp++] = v;
  }
  const done = new Uint8Array(n);
  let visited = 0;
  while (sp > 0) {
    const v = stack[--sp]!;
    done[v] = 1;
    visited++;
    if ((visited & 0xffff) === 0 && Date.now() > deadline) throw new TimeUp();
    for (let i = readerStart[v]!, e = readerStart[v + 1]!; i < e; i++) {
      const r = readers[i]!;
      if (--indeg[r]! === 0) stack[sp++] = r;
    }
    for (let i = outStart[v]!, e = outStart[v + 1]!; i < e; i++) {
      const r = out[i]!;
      if (--indeg[r]! === 0) stack[sp++] = r;
    }
    const next = v + 1;
    if (next < n && sess[next] === sess[v] && --indeg[next]! === 0) stack[sp++] = next;
  }
  return { visited, done };
}
