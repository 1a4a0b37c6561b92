/**
 * The fast pass of `checkCo` for histories with very many writing sessions (thousands of
 * crashed processes), whose clock rows and per-session clocks would not fit in memory when
 * kept for the whole traversal. Here every clock is a row of a recycled pool, shared and
 * reference-counted: a session's current clock, and each write's clock for as long as one of
 * its readers is still unvisited (the only later use of it). A row nobody can need again is
 * reused, so memory follows the live clocks, not the number of writes.
 *
 * Only the fast pass (no `w1 →CO w2` test across sessions, see `checkCo`) runs here; clocks
 * of visited writes are gone afterwards (`exact: false`), so witnesses find their causal paths
 * by search instead.
 */
import { type CoResult, clockColumns, IntList, kahnRoots, TimeUp } from './core.js';
import { type CausalGraph, lastWriteBelow } from './extract.js';
import { OverBudget, RowStore } from './rows.js';

/** Rows of `kw` entries in chunks, with a free list and reference counts. */
class RowPool {
  readonly chunks: (Int32Array | Uint16Array)[] = [];
  readonly shift: number;
  readonly mask: number;
  private count = 0;
  private readonly free = new IntList();
  rc = new Int32Array(1024);

  constructor(
    readonly kw: number,
    readonly wide: boolean,
    readonly budget: number,
  ) {
    let shift = 0;
    while (shift < 16 && (1 << (shift + 1)) * Math.max(1, kw) <= 1 << 22) shift++;
    this.shift = shift;
    this.mask = (1 << shift) - 1;
  }

  bytes(): number {
    let b = 0;
    for (const c of this.chunks) b += c.byteLength;
    return b;
  }

  /** A zeroed row with one reference. */
  alloc(): number {
    let row: number;
    if (this.free.length > 0) {
      row = this.free.data[--this.free.length]!;
      this.chunks[row >>> this.shift]!.fill(
        0,
        (row & this.mask) * this.kw,
        ((row & this.mask) + 1) * this.kw,
      );
    } else {
      row = this.count++;
      if (row >>> this.shift === this.chunks.length) {
        const size = (1 << this.shift) * this.kw;
        if (this.bytes() + size * (this.wide ? 4 : 2) > this.budget) throw new OverBudget(this.bytes());
        this.chunks.push(this.wide ? new Int32Array(size) : new Uint16Array(size));
      }
      if (row >= this.rc.length) {
        const grown = new Int32Array(this.rc.length * 2);
        grown.set(this.rc);
        this.rc = grown;
      }
    }
    this.rc[row] = 1;
    return row;
  }

  release(row: number): void {
    if (--this.rc[row]! === 0) this.free.push(row);
  }
}

export function checkCoCompact(g: CausalGraph, deadline: number, budget: number): CoResult {
  const { n, k, sess, pos, isWrite, key, rf, readerStart, readers } = g;
  const { ksStart, ksFrom, keyWrites, keyWritePos } = g;
  const { maxLen, ci, kw, ksCol, denseAt, runOfCol } = clockColumns(g);
  const pool = new RowPool(Math.max(1, kw), maxLen + 1 >= 0xffff, budget);
  const { chunks, shift, mask } = pool;
  const W = pool.kw;
  const diff = new Int32Array(W);

  /** Each session's current clock row (its own entry unused: positions), -1 before its first operation. */
  const cur = new Int32Array(k).fill(-1);
  /** Each write's clock row while a reader is unvisited, and how many are. */
  const rowOf = new Int32Array(n).fill(-1);
  const pending = new Int32Array(n);
  const done = new Uint8Array(n);
  // Sessions are numbered by first appearance: the first ready node on top makes the
  // traversal start with the earliest sessions and roughly follow the history, so that fewer
  // sessions are half-visited (each holding a live clock) at a time. (A heap on invocation
  // index saved little more and cost a quarter more time.)
  const roots = kahnRoots(g, true);
  const { indeg, stack } = roots;
  let sp = roots.sp;
  const initReads = new IntList();
  const overwrittenReads = new IntList();
  const cf = new IntList(1 << 16);
  const lastCfTarget = new Int32Array(n).fill(-1);
  let visited = 0;

  while (sp > 0) {
    const v = stack[--sp]!;
    done[v] = 1;
    visited++;
    if ((visited & 0x3fff) === 0 && Date.now() > deadline) throw new TimeUp();
    const s = sess[v]!;
    const own = ci[s]!;
    if (isWrite[v]) {
      // Rows never hold their own session's entry (it would leak to the session's earlier
      // writes sharing the row): positions stand in for it.
      if (cur[s]! < 0) cur[s] = pool.alloc();
      const c = cur[s]!;
      const readerCount = readerStart[v + 1]! - readerStart[v]!;
      if (readerCount > 0) {
        rowOf[v] = c;
        pending[v] = readerCount;
        pool.rc[c]!++;
      }
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
        let nd = -1;
        const row1 = rowOf[w1]!;
        const chunk1 = chunks[row1 >>> shift]!;
        const rb1 = (row1 & mask) * W;
        const p1 = pos[w1]!;
        // VC(v) = VC(v-1) ⊔ VC(w1), copying the session's row first when it is shared. w1's
        // own entry is its position.
        let c = cur[s]!;
        let cc = c < 0 ? undefined : chunks[c >>> shift]!;
        let cb = (c & mask) * W;
        const known = t === s || (cc !== undefined && cc[cb + ct]! > p1);
        if (!known) {
          let u = 0;
          if (cc !== undefined) while (u < kw && (u === ct ? p1 + 1 : chunk1[rb1 + u]!) <= cc[cb + u]!) u++;
          if (u < kw) {
            if (c < 0 || pool.rc[c]! > 1) {
              const fresh = pool.alloc();
              const fc = chunks[fresh >>> shift]!;
              const fb = (fresh & mask) * W;
              if (cc !== undefined) fc.set(cc.subarray(cb, cb + W), fb);
              if (c >= 0) pool.release(c);
              cur[s] = c = fresh;
              cc = fc;
              cb = fb;
            }
            const target = cc!;
            for (let t2 = u; t2 < kw; t2++) {
              const a = t2 === ct ? p1 + 1 : chunk1[rb1 + t2]!;
              if (a > target[cb + t2]!) target[cb + t2] = a;
            }
          }
        }
        // The columns where v's clock exceeds w1's (v's own column is taken from positions).
        if (dense >= 0 && cc !== undefined) {
          nd = 0;
          for (let t2 = 0; t2 < kw; t2++)
            if (t2 !== own && cc[cb + t2]! > (t2 === ct ? p1 + 1 : chunk1[rb1 + t2]!)) diff[nd++] = t2;
        }
        const clock = cc;
        // The last x-write of each session in VC(v), against w1.
        const m = nd < 0 ? ksStart[x + 1]! - ksStart[x]! : nd + 2;
        for (let d = 0; d < m; d++) {
          let j: number;
          if (nd < 0) j = ksStart[x]! + d;
          else {
            const col = d === 0 ? ct : d === 1 ? own : diff[d - 2]!;
            if ((d > 0 && col === ct) || col < 0) continue;
            j = runOfCol[dense + col]!;
            if (j < 0) continue;
          }
          const c2 = ksCol[j]!;
          const vr = c2 === own ? pos[v]! + 1 : clock === undefined ? 0 : clock[cb + c2]!;
          const vw = c2 === ct ? p1 + 1 : chunk1[rb1 + c2]!;
          if (vr <= vw || keyWritePos[ksFrom[j + 1]! - 1]! < vw || keyWritePos[ksFrom[j]!]! >= vr) continue;
          const i = lastWriteBelow(g, j, vr);
          if (keyWritePos[i]! < vw) continue;
          const w2 = keyWrites[i]!;
          if (c2 === ct) {
            overwrittenReads.push3(v, w1, w2);
            break;
          }
          if (lastCfTarget[w2] !== w1) {
            lastCfTarget[w2] = w1;
            cf.push3(w2, w1, v);
          }
        }
        if (--pending[w1]! === 0) {
          pool.release(row1);
          rowOf[w1] = -1;
        }
      } else {
        const c = cur[s]!;
        const cc = c < 0 ? undefined : chunks[c >>> shift]!;
        const cb = (c & mask) * W;
        for (let j = ksStart[x]!, e = ksStart[x + 1]!; j < e; j++) {
          const c2 = ksCol[j]!;
          const bound = c2 === own ? pos[v]! + 1 : cc === undefined ? 0 : cc[cb + c2]!;
          if (keyWritePos[ksFrom[j]!]! < bound) {
            initReads.push(v);
            initReads.push(keyWrites[lastWriteBelow(g, j, bound)]!);
            break;
          }
        }
      }
    }
    const next = v + 1;
    if (next < n && sess[next] === s) {
      if (--indeg[next]! === 0) stack[sp++] = next;
    } else if (cur[s]! >= 0) {
      pool.release(cur[s]!);
      cur[s] = -1;
    }
  }
  return {
    visited,
    done,
    rows: new RowStore(0, 0, 0),
    rowOf,
    ci,
    kw,
    sessClock: new Int32Array(0),
    initReads,
    overwrittenReads,
    cf,
    exact: false,
  };
}
