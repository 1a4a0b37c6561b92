/**
 * Causal memory (CM): for each session q, HB_o for o = q's last operation (HB_o grows along PO,
 * so the last one holds every bad pattern of the earlier ones). HB_o starts as CO restricted to
 * o's causal past and gains `w1 → w2` whenever a read r2 of q returns w2 while the same-key
 * write w1 is HB_o-before r2; iterate to a fixpoint. Bad patterns: WriteHBInitRead, CyclicHB.
 *
 * Incremental fixpoint: vector clocks over the writing sessions are computed once for CO (one
 * Kahn traversal, shared by every q: the past of o is downward closed, so CO clocks restricted
 * to it are unchanged). For each q, an added edge w1 → w2 spreads w1's clock, on the columns
 * where it exceeds w2's, forward from w2 (PO, RF and the edges added so far) inside o's past
 * until nothing grows, in an overlay that
 * holds only the clocks that changed (writes, and q's own operations: another session's read
 * only hands its clock on to that session's next write); each read of q is re-examined when its clock grows. A
 * clock that comes to know its own node's successor closes a cycle. Cost per q: the changed
 * clocks, not the whole past.
 */
import { type CoResult, IntList, kahnRoots, TimeUp } from './core.js';
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

/** Largest clock table (bytes) CM will allocate. */
export const CM_MAX_BYTES = 2 ** 29;

/** 16-bit clock entries when every session is shorter than 65535 operations. */
const narrow = (g: CausalGraph): boolean => {
  for (let s = 0; s < g.k; s++) if (g.sessStart[s + 1]! - g.sessStart[s]! >= 0xffff) return false;
  return true;
};

/** Bytes of CM's clock table: two rows (CO, and this session's HB) per node. */
export const cmBytes = (g: CausalGraph, co: CoResult): number =>
  2 * g.n * Math.max(1, co.kw) * (narrow(g) ? 2 : 4);

/** Kahn over the nodes of `inSet` with PO ∪ RF ∪ extra: the visited flags (for findCycle). */
function visitSet(g: CausalGraph, extra: Extra, inSet: (v: number) => boolean): Uint8Array {
  const { n, pos, rf, sess, readerStart, readers } = g;
  const indeg = new Int32Array(n);
  const stack = new Int32Array(n);
  const done = new Uint8Array(n);
  let sp = 0;
  for (let v = 0; v < n; v++) {
    if (!inSet(v)) continue;
    const d = (pos[v]! > 0 ? 1 : 0) + (rf[v]! >= 0 ? 1 : 0) + extra.inStart[v + 1]! - extra.inStart[v]!;
    indeg[v] = d;
    if (d === 0) stack[sp++] = v;
  }
  while (sp > 0) {
    const v = stack[--sp]!;
    done[v] = 1;
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
  return done;
}

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
  const { ci, kw } = co;
  const W = Math.max(1, kw);
  const findings: CmFinding[] = [];

  // CO clocks of every node (PO ∪ RF is acyclic when CM runs) in rows 0..n-1; row n+v holds
  // v's HB clock for the current q once it differs (`ovFlag[v]`).
  const clk = narrow(g) ? new Uint16Array(2 * n * W) : new Int32Array(2 * n * W);
  {
    const roots = kahnRoots(g);
    const { indeg, stack } = roots;
    let sp = roots.sp;
    let tick = 0;
    while (sp > 0) {
      const v = stack[--sp]!;
      if ((++tick & 0x3fff) === 0 && Date.now() > deadline) throw new TimeUp();
      const rb = v * W;
      if (pos[v]! > 0) clk.copyWithin(rb, rb - W, rb);
      const w = rf[v]!;
      if (w >= 0) {
        const wb = w * W;
        for (let t = 0; t < kw; t++) if (clk[wb + t]! > clk[rb + t]!) clk[rb + t] = clk[wb + t]!;
      }
      const own = ci[sess[v]!]!;
      if (own >= 0) clk[rb + own] = pos[v]! + 1;
      for (let i = readerStart[v]!, e = readerStart[v + 1]!; i < e; i++) {
        const r = readers[i]!;
        if (--indeg[r]! === 0) stack[sp++] = r;
      }
      const next = v + 1;
      if (next < n && sess[next] === sess[v] && --indeg[next]! === 0) stack[sp++] = next;
    }
  }

  // Outside session q only writes need HB clocks (reads of other sessions are never examined
  // and only pass their clock on along PO): the next write of each node's session, or -1.
  const nextWrite = new Int32Array(n);
  for (let v = n - 1; v >= 0; v--)
    nextWrite[v] = v + 1 < n && sess[v + 1] === sess[v] ? (isWrite[v + 1] ? v + 1 : nextWrite[v + 1]!) : -1;

  const ovFlag = new Uint8Array(n);
  const touched = new IntList();
  // Added edges for the current q, as linked lists by source.
  const head = new Int32Array(n).fill(-1);
  const edges = new IntList(); // (w1, w2, r2)
  let nextEdge = new Int32Array(64);
  const edgeSet = new Set<number>();
  const heads = new IntList();
  // Work lists.
  const queue = new IntList();
  // The columns (and values) where w1's clock exceeds w2's, for the edge being spread.
  const uCols = new Int32Array(W);
  const uVals = new Int32Array(W);
  const uDense = new Int32Array(W);
  const toCheck = new Uint8Array(n);
  const checks = new IntList();
  const bound = new Int32Array(k);
  let tick = 0;

  /** Offset of v's current clock row. */
  const rowAt = (v: number): number => (ovFlag[v] ? n + v : v) * W;
  const clockOf = (v: number, col: number): number => clk[rowAt(v) + col]!;

  for (let q = 0; q < k && findings.length < limit; q++) {
    let hasRead = false;
    for (let v = sessStart[q]!; v < sessStart[q + 1]!; v++) if (!isWrite[v]) hasRead = true;
    if (!hasRead) continue;
    const last = (sessStart[q + 1]! - 1) * W;
    for (let s = 0; s < k; s++) bound[s] = ci[s]! >= 0 ? clk[last + ci[s]!]! : 0;
    bound[q] = sessStart[q + 1]! - sessStart[q]!;
    const qBound = bound.slice();
    const inSet = (v: number) => pos[v]! < qBound[sess[v]!]!;
    let found: CmFinding | undefined;
    const finding = (pattern: CmFinding['pattern'], read: number, write: number, cycle: boolean) => {
      const extra = buildExtra(n, edges, 'hb');
      const f: CmFinding = { pattern, session: q, read, write, extra, inSet };
      if (cycle) {
        f.cycle = findCycle(g, visitSet(g, extra, inSet), extra, inSet);
        f.read = f.cycle.find((st) => st.kind === 'hb')?.by ?? f.cycle[0]!.to;
      }
      return f;
    };

    /**
     * After adding w1 → w2: every node HB-after w2 (w2 included) gains w1's clock, which can
     * only exceed w2's on the columns `uCols`. Spreads those values forward, stopping where
     * nothing grows (everything after such a node already has them). A node whose own entry w1
     * already covers lies on a cycle. Sets `found` on a cycle.
     */
    const spread = (w1: number, w2: number): void => {
      const a = rowAt(w1);
      const b = rowAt(w2);
      let nc = 0;
      for (let t = 0; t < kw; t++)
        if (clk[a + t]! > clk[b + t]!) {
          uCols[nc] = t;
          uVals[nc++] = clk[a + t]!;
          uDense[t] = clk[a + t]!;
        }
      const raise = (v: number): boolean => {
        if ((++tick & 0x3fff) === 0 && Date.now() > deadline) throw new TimeUp();
        const cv = ci[sess[v]!]!;
        if (cv >= 0 && uDense[cv]! > pos[v]!) {
          // w1 already knows v (or a later operation of v's session), and v is after w1.
          found = finding('CyclicHB', -1, -1, true);
          return false;
        }
        let vo = rowAt(v);
        let i = 0;
        while (i < nc && uVals[i]! <= clk[vo + uCols[i]!]!) i++;
        if (i === nc) return false;
        if (!ovFlag[v]) {
          ovFlag[v] = 1;
          touched.push(v);
          const to = (n + v) * W;
          clk.copyWithin(to, vo, vo + W);
          vo = to;
        }
        for (; i < nc; i++) if (uVals[i]! > clk[vo + uCols[i]!]!) clk[vo + uCols[i]!] = uVals[i]!;
        if (sess[v] === q && !isWrite[v] && !toCheck[v]) {
          toCheck[v] = 1;
          checks.push(v);
        }
        return true;
      };
      if (nc > 0 && raise(w2)) queue.push(w2);
      while (queue.length > 0 && !found) {
        const u = queue.data[--queue.length]!;
        const next = sess[u] === q ? (u + 1 < n && sess[u + 1] === q ? u + 1 : -1) : nextWrite[u]!;
        if (next >= 0 && inSet(next) && raise(next)) queue.push(next);
        for (let i = readerStart[u]!, e = readerStart[u + 1]!; i < e && !found; i++) {
          const r = readers[i]!;
          const to = sess[r] === q ? r : nextWrite[r]!;
          if (to >= 0 && inSet(to) && raise(to)) queue.push(to);
        }
        for (let e = head[u]!; e >= 0 && !found; e = nextEdge[e]!) {
          const to = edges.data[3 * e + 1]!;
          if (raise(to)) queue.push(to);
        }
      }
      queue.length = 0;
      for (let i = 0; i < nc; i++) uDense[uCols[i]!] = 0;
    };

    for (let v = sessStart[q + 1]! - 1; v >= sessStart[q]!; v--)
      if (!isWrite[v] && !ccFlagged[v]) {
        toCheck[v] = 1;
        checks.push(v);
      }
    while (checks.length > 0 && !found) {
      const r2 = checks.data[--checks.length]!;
      toCheck[r2] = 0;
      const w2 = rf[r2]!;
      const x = key[r2]!;
      for (let j = ksStart[x]!, e = ksStart[x + 1]!; j < e && !found; j++) {
        const s = ksSess[j]!;
        const i = lastWriteBelow(g, j, clockOf(r2, ci[s]!));
        if (i < 0) continue;
        const w1 = keyWrites[i]!;
        if (w2 < 0) {
          found = finding('WriteHBInitRead', r2, w1, false);
          break;
        }
        if (w1 === w2) continue;
        if (clockOf(w1, ci[sess[w2]!]!) > pos[w2]!) {
          // w2 HB-before w1 HB-before r2, which read w2: the forced w1 → w2 closes a cycle.
          found = finding('CyclicHB', r2, w1, false);
          break;
        }
        if (clockOf(w2, ci[s]!) > pos[w1]!) continue;
        const id = w1 * n + w2;
        if (edgeSet.has(id)) continue;
        edgeSet.add(id);
        const e2 = edges.length / 3;
        edges.push3(w1, w2, r2);
        if (e2 >= nextEdge.length) {
          const grown = new Int32Array(nextEdge.length * 2);
          grown.set(nextEdge);
          nextEdge = grown;
        }
        if (head[w1]! < 0) heads.push(w1);
        nextEdge[e2] = head[w1]!;
        head[w1] = e2;
        spread(w1, w2);
      }
    }
    if (found) findings.push(found);

    // Reset the per-q state.
    for (let i = 0; i < touched.length; i++) ovFlag[touched.data[i]!] = 0;
    touched.length = 0;
    for (let i = 0; i < heads.length; i++) head[heads.data[i]!] = -1;
    heads.length = 0;
    edges.length = 0;
    edgeSet.clear();
    for (let i = 0; i < checks.length; i++) toCheck[checks.data[i]!] = 0;
    checks.length = 0;
  }
  return findings;
}
