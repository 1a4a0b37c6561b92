/**
 * A polynomial decision for read/write registers whose written values are unique (no value
 * written twice, none equal to the initial value): O(n log n) instead of the exponential search.
 *
 * Why it is exact. Take the operations that took effect, in a linearization. Each read returns
 * the value of the latest write before it, and that write is the only one of its value, so
 * between a write w and any read of w's value there is no other write. The linearization is
 * therefore a sequence of blocks ("clusters"): a write followed by reads of its value, with
 * first, if any read returned the initial value, a block of those reads (a virtual write at
 * time −∞ heads it). Conversely, blocks in any order that real time allows, each written as its
 * write and then its reads by return time, form a legal linearization. So the history is
 * linearizable exactly when
 *  - every read's value has its write (or is the initial value), and no read returned before
 *    its own write was called (inside a block, the write comes first); and
 *  - the blocks can be ordered so that no operation is placed before one that returned before
 *    it was called. Block A must precede block B exactly when some operation of A returned
 *    before some operation of B was called: lo(A) < hi(B), with lo the least return time of a
 *    block and hi its greatest call time (info operations return at +∞; the virtual write has
 *    call and return −∞, so the initial block precedes every other). Such an order exists
 *    exactly when this relation has no cycle.
 * An info (or never-completed) write that no read observes is left out: it may never have taken
 * effect, and a linearization with it stays one without it (it heads a block of its own).
 * Failed operations and reads with unknown results are gone before this point; info writes
 * that someone read must have taken effect, and belong to their readers' block.
 *
 * Acyclicity by Kahn's algorithm without building the edges: block B has no incoming edge from
 * the remaining blocks when hi(B) ≤ lo(A) for every other remaining A. If any block qualifies,
 * then either the block of least lo or the block of least hi does (if B ≠ the least-lo block
 * qualifies, hi(B) ≤ that least lo, and the least-hi block has a hi no greater, so it qualifies
 * too), so each step looks at two candidates, and removing a block never adds an edge.
 *
 * A valid verdict comes with the linearization, verified independently; an invalid one with
 * the blocks placed before the order got stuck as the longest partial linearization.
 */
import type { PartialLinearization, Problem, SearchOutcome } from './types.js';
import { verify } from './verify.js';

/** The outcome, or undefined when the preconditions do not hold (use the general search). */
export function checkUniqueWrites(p: Problem): SearchOutcome | undefined {
  const view = p.kernel.registerView;
  if (!view || p.kernel.initial.length !== 1) return undefined;
  const { n, call, ret, info } = p;
  const { write, value } = view;
  const initial = p.kernel.initial[0]!;
  // The write of each value.
  const writer = new Map<number, number>();
  for (let x = 0; x < n; x++) {
    if (write[x] !== 1) {
      if (info[x] === 1) return undefined; // reads with unknown results should be gone
      continue;
    }
    if (value[x] === initial || writer.has(value[x]!)) return undefined;
    writer.set(value[x]!, x);
  }
  // Blocks: 0 is the initial value's (virtual write), then one per write someone may follow.
  const readers = new Int32Array(n);
  for (let x = 0; x < n; x++) {
    if (write[x] === 1 || value[x] === initial) continue;
    const w = writer.get(value[x]!);
    // A read of a value nobody wrote, or one that returned before its write was called.
    if (w === undefined || ret[x]! < call[w]!) return stuckAt(p, x);
    readers[w]!++;
  }
  const blockOf = new Int32Array(n).fill(-1);
  const blockWrite: number[] = [-1];
  for (let x = 0; x < n; x++) {
    if (write[x] !== 1) continue;
    if (info[x] === 1 && readers[x] === 0) continue; // unobserved info write: never happened
    blockOf[x] = blockWrite.length;
    blockWrite.push(x);
  }
  for (let x = 0; x < n; x++)
    if (write[x] !== 1) blockOf[x] = value[x] === initial ? 0 : blockOf[writer.get(value[x]!)!]!;
  const k = blockWrite.length;
  const lo = new Float64Array(k).fill(Number.POSITIVE_INFINITY);
  const hi = new Float64Array(k).fill(Number.NEGATIVE_INFINITY);
  lo[0] = Number.NEGATIVE_INFINITY;
  const members = new Int32Array(k);
  for (let x = 0; x < n; x++) {
    const b = blockOf[x]!;
    if (b < 0) continue;
    members[b]!++;
    if (call[x]! > hi[b]!) hi[b] = call[x]!;
    if (ret[x]! < lo[b]!) lo[b] = ret[x]!;
  }
  // Kahn's algorithm over the implicit relation lo(A) < hi(B).
  const ids: number[] = [];
  for (let b = 0; b < k; b++) if (b > 0 || members[0]! > 0) ids.push(b);
  const byLo = Int32Array.from(ids).sort((a, b) => lo[a]! - lo[b]! || a - b);
  const byHi = Int32Array.from(ids).sort((a, b) => hi[a]! - hi[b]! || a - b);
  const m = ids.length;
  const removed = new Uint8Array(k);
  const order: number[] = [];
  let pl = 0;
  let p2 = 0;
  let ph = 0;
  for (let placed = 0; placed < m; placed++) {
    while (pl < m && removed[byLo[pl]!] === 1) pl++;
    if (p2 <= pl) p2 = pl + 1;
    while (p2 < m && removed[byLo[p2]!] === 1) p2++;
    while (ph < m && removed[byHi[ph]!] === 1) ph++;
    const a1 = byLo[pl]!;
    const second = p2 < m ? lo[byLo[p2]!]! : Number.POSITIVE_INFINITY;
    const bStar = byHi[ph]!;
    let pick = -1;
    if (hi[a1]! <= second) pick = a1;
    else if (bStar !== a1 && hi[bStar]! <= lo[a1]!) pick = bStar;
    if (pick < 0) return stuck(p, order, blockOf, blockWrite, removed);
    removed[pick] = 1;
    order.push(pick);
  }
  const lin = linearize(p, order, blockOf, blockWrite);
  // The proof says this cannot fail; if it ever did, the general search decides instead.
  if (!verify(p, lin)) return undefined;
  return { valid: true, configs: 0, linearization: lin, longest: [], algorithm: 'unique-writes' };
}

/** The blocks in this order, each as its write and then its reads by return time. */
function linearize(
  p: Problem,
  order: readonly number[],
  blockOf: Int32Array,
  blockWrite: readonly number[],
): PartialLinearization {
  const value = p.kernel.registerView!.value;
  const reads: number[][] = blockWrite.map(() => []);
  for (let x = 0; x < p.n; x++) {
    const b = blockOf[x]!;
    if (b >= 0 && x !== blockWrite[b]) reads[b]!.push(x);
  }
  const ops: number[] = [];
  const states: number[] = [];
  for (const b of order) {
    const w = blockWrite[b]!;
    if (w >= 0) {
      ops.push(w);
      states.push(value[w]!);
    }
    const rs = reads[b]!.sort((x, y) => p.ret[x]! - p.ret[y]!);
    for (const r of rs) {
      ops.push(r);
      states.push(value[r]!);
    }
  }
  return { ops, states };
}

/**
 * Evidence when the order gets stuck: the blocks placed so far, and the remaining operation
 * that returned first (nothing left can be placed before it), with the operations concurrent
 * with it (itself included, as the search reports them).
 */
function stuck(
  p: Problem,
  order: readonly number[],
  blockOf: Int32Array,
  blockWrite: readonly number[],
  removed: Uint8Array,
): SearchOutcome {
  const prefix = linearize(p, order, blockOf, blockWrite);
  let first = -1;
  for (let x = 0; x < p.n; x++) {
    const b = blockOf[x]!;
    if (b < 0 || removed[b] === 1 || p.info[x] === 1) continue;
    if (first < 0 || p.ret[x]! < p.ret[first]!) first = x;
  }
  if (first < 0) return { valid: false, configs: 0, longest: [prefix], algorithm: 'unique-writes' };
  const concurrent: number[] = [];
  for (let x = 0; x < p.n; x++) {
    const b = blockOf[x]!;
    if (b >= 0 && removed[b] === 0 && p.call[x]! <= p.ret[first]!) concurrent.push(x);
  }
  return {
    valid: false,
    configs: 0,
    longest: [prefix],
    stuck: first,
    concurrent,
    algorithm: 'unique-writes',
  };
}

/** An operation that can never be linearized, whatever the order. */
function stuckAt(p: Problem, x: number): SearchOutcome {
  const concurrent: number[] = [];
  for (let y = 0; y < p.n; y++) if (p.call[y]! <= p.ret[x]!) concurrent.push(y);
  return { valid: false, configs: 0, longest: [], stuck: x, concurrent, algorithm: 'unique-writes' };
}
