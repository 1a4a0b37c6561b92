/**
 * A polynomial decision for registers (read, write, cas) whose installed values are unique: no
 * value written, or set by a cas, twice, and none equal to the initial value. O(n log n)
 * instead of the exponential search.
 *
 * Every operation, where it takes effect, requires the state to be a value (a read, a cas) and
 * then installs a value (a write, a cas). Why the algorithm is exact:
 *  - Which operations took effect. Every ok operation did. An info (or never-completed)
 *    operation must have taken effect when some operation that took effect requires the value
 *    it installs (it is the only installer of that value); the others are left out: in any
 *    linearization, removing all of them keeps it legal (after such an operation, until the
 *    next plain write, nothing that remains needs the state it made), and they may never have
 *    happened. An info cas that ran when the state differed from its `expected` had no effect,
 *    which is the same as not happening.
 *  - Blocks. Once a value is replaced it never returns, so in a linearization the operations
 *    that require a value v come after v's installer and before the next installer: the
 *    linearization is a sequence of blocks, each an installer followed by the reads of its
 *    value (the initial value's block, if anyone requires it, has a virtual installer at −∞).
 *  - Chains. A cas from v installs the value after v's block, so it is the next installer:
 *    its block follows v's immediately. Hence a value with two cas from it is refuted, and
 *    blocks linked by cas form chains, each headed by a write or the initial value, whose
 *    order is fixed and which are contiguous in any linearization. A cas whose value has no
 *    installer, or which lies on a cycle of cas unreachable from any write, is refuted.
 *  - Order. Conversely, chains in any order real time allows, each block as its installer and
 *    then its reads by return time, form a legal linearization. Real time allows an order
 *    exactly when, inside each chain, no operation of a block returned before an operation of
 *    an earlier block (or, for a read, its installer) was called, and between chains the
 *    relation "A must precede B" — lo(A) < hi(B), with lo the least return time of a chain's
 *    operations and hi the greatest call time (info operations return at +∞; the virtual
 *    installer has call and return −∞, so the initial chain precedes every other) — has no
 *    cycle.
 *
 * Acyclicity by Kahn's algorithm without building the edges: chain B has no incoming edge from
 * the remaining chains when hi(B) ≤ lo(A) for every other remaining A. If any chain qualifies,
 * then the chain of least lo or the chain of least hi does (if B, not the least-lo chain,
 * qualifies, hi(B) ≤ that least lo, and the least-hi chain has a hi no greater, so it qualifies
 * too), so each step looks at two candidates; removing a chain never adds an edge.
 *
 * A valid verdict comes with the linearization, verified independently (if it ever failed, the
 * general search would decide instead); an invalid one with the chains placed before the order
 * got stuck as the longest partial linearization.
 */
import type { PartialLinearization, Problem, SearchOutcome } from './types.js';
import { verify } from './verify.js';

const ALGORITHM = 'unique-writes' as const;

/*
 * The steps are separate functions, each a loop or two: as one function of a dozen loops,
 * V8 entered its optimized code mid-function (on-stack replacement) at a different loop on
 * each call and threw it away at the next branch it had not seen, recompiling the whole
 * function per key (~4 ms a key of 10^4 operations instead of well under 1).
 */

/** The outcome, or undefined when the preconditions do not hold (use the general search). */
export function checkUniqueWrites(p: Problem): SearchOutcome | undefined {
  const view = p.kernel.registerView;
  if (!view || p.kernel.initial.length !== 1) return undefined;
  const initial = p.kernel.initial[0]!;
  const installer = installers(p, view, initial);
  if (!installer) return undefined;
  const kept = tookEffect(p, view.requires, installer);
  const blocks = blocksOf(p, view, installer, kept, initial);
  if ('valid' in blocks) return blocks;
  const chained = chainsOf(p, view, kept, initial, blocks);
  if ('valid' in chained) return chained;
  const order = orderOf(chained);
  if (!Array.isArray(order)) return stuck(p, chained, order.order, order.removed);
  const lin = linearize(p, chained, order);
  if (!verify(p, lin)) return undefined;
  return { valid: true, configs: 0, linearization: lin, longest: [], algorithm: ALGORITHM };
}

type View = NonNullable<Problem['kernel']['registerView']>;

/** One more than the largest value id (values are small integers: tables are typed arrays). */
function valueCount(n: number, { requires, installs }: View, initial: number): number {
  let values = initial + 1;
  for (let x = 0; x < n; x++) {
    if (requires[x]! >= values) values = requires[x]! + 1;
    if (installs[x]! >= values) values = installs[x]! + 1;
  }
  return values;
}

/** The installer of each value; undefined when the preconditions fail. */
function installers(p: Problem, view: View, initial: number): Int32Array | undefined {
  const { n, info } = p;
  const { installs } = view;
  const installer = new Int32Array(valueCount(n, view, initial)).fill(-1);
  for (let x = 0; x < n; x++) {
    const u = installs[x]!;
    if (u < 0) {
      if (info[x] === 1) return undefined; // reads with unknown results should be gone
      continue;
    }
    if (u === initial || installer[u]! >= 0) return undefined;
    installer[u] = x;
  }
  return installer;
}

/** Which operations took effect: every ok one, and the info installers of required values. */
function tookEffect(p: Problem, requires: Int32Array, installer: Int32Array): Uint8Array {
  const { n, info } = p;
  const kept = new Uint8Array(n);
  const work = new Int32Array(n);
  let top = 0;
  for (let x = 0; x < n; x++) if (info[x] === 0) kept[x] = 1;
  for (let x = 0; x < n + top; x++) {
    // Ops first, then the info installers found on the way (a worklist appended to `work`).
    const y = x < n ? x : work[x - n]!;
    if (kept[y] === 0 || requires[y]! < 0) continue;
    const w = installer[requires[y]!]!;
    if (w >= 0 && kept[w] === 0) {
      kept[w] = 1;
      work[top++] = w;
    }
  }
  return kept;
}

/** Per value: the cas from it (-1 for none) and its reads by return time. */
interface Blocks {
  successor: Int32Array;
  initialRequired: boolean;
  /** The reads of value v: readOps[readStart[v] .. readStart[v + 1]). */
  readStart: Int32Array;
  readOps: Int32Array;
}

/**
 * Each required value has an installer (or is the initial value), and at most one cas from
 * it; else the operation that cannot be linearized.
 */
function blocksOf(
  p: Problem,
  { requires, installs }: View,
  installer: Int32Array,
  kept: Uint8Array,
  initial: number,
): Blocks | SearchOutcome {
  const n = p.n;
  const values = installer.length;
  const successor = new Int32Array(values).fill(-1);
  const readStart = new Int32Array(values + 1);
  let initialRequired = false;
  let reads = 0;
  for (let x = 0; x < n; x++) {
    if (kept[x] === 0) continue;
    const v = requires[x]!;
    if (v < 0) continue;
    if (v === initial) initialRequired = true;
    else if (installer[v]! < 0) return stuckAt(p, x);
    if (installs[x]! >= 0) {
      if (successor[v]! >= 0) return stuckAt(p, later(p, x, successor[v]!));
      successor[v] = x;
    } else {
      readStart[v + 1]!++;
      reads++;
    }
  }
  for (let v = 0; v < values; v++) readStart[v + 1]! += readStart[v]!;
  const byRet = new Int32Array(reads);
  for (let x = 0, i = 0; x < n; x++)
    if (kept[x] === 1 && installs[x]! < 0 && requires[x]! >= 0) byRet[i++] = x;
  sortBy(byRet, p.ret);
  const readOps = new Int32Array(reads);
  const fill = readStart.slice(0, values);
  for (let i = 0; i < reads; i++) {
    const r = byRet[i]!;
    readOps[fill[requires[r]!]!++] = r;
  }
  return { successor, initialRequired, readStart, readOps };
}

/** Chain c's operations in order: ops[start[c] .. start[c + 1]), with its lo and hi times. */
interface Chains {
  ops: Int32Array;
  start: number[];
  lo: number[];
  hi: number[];
}

/**
 * Chains of blocks, from each plain write (and the initial value), following cas; each as its
 * operations in linearization order. Else the operation that cannot be linearized.
 */
function chainsOf(
  p: Problem,
  view: View,
  kept: Uint8Array,
  initial: number,
  blocks: Blocks,
): Chains | SearchOutcome {
  const { n } = p;
  const chainOf = new Int32Array(n).fill(-1);
  const chains: Chains = { ops: new Int32Array(n), start: [0], lo: [], hi: [] };
  let bad = blocks.initialRequired ? chainFrom(p, view, initial, -1, blocks, chains, chainOf) : -1;
  if (bad < 0) bad = chainWrites(p, view, kept, initial, blocks, chains, chainOf);
  // Operations left over lie on cas cycles that no write or initial value starts.
  if (bad < 0) bad = unchained(kept, chainOf);
  return bad < 0 ? chains : stuckAt(p, bad);
}

/** The chains headed by plain writes (see chainFrom). */
function chainWrites(
  p: Problem,
  view: View,
  kept: Uint8Array,
  initial: number,
  blocks: Blocks,
  chains: Chains,
  chainOf: Int32Array,
): number {
  const { requires, installs } = view;
  for (let x = 0; x < p.n; x++)
    if (kept[x] === 1 && installs[x]! >= 0 && requires[x]! < 0) {
      const bad = chainFrom(p, view, initial, x, blocks, chains, chainOf);
      if (bad >= 0) return bad;
    }
  return -1;
}

/** The first operation that took effect and is in no chain, or -1. */
function unchained(kept: Uint8Array, chainOf: Int32Array): number {
  for (let x = 0; x < kept.length; x++) if (kept[x] === 1 && chainOf[x]! < 0) return x;
  return -1;
}

/**
 * Appends the chain headed by `head` (a plain write, or -1 for the initial value) to `chains`;
 * -1, or the operation that cannot be linearized.
 */
function chainFrom(
  p: Problem,
  { installs }: View,
  initial: number,
  head: number,
  { successor, readStart, readOps }: Blocks,
  chains: Chains,
  chainOf: Int32Array,
): number {
  const { call, ret } = p;
  const c = chains.lo.length;
  const chainOps = chains.ops;
  let len = chains.start[c]!;
  let chainLo = head < 0 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  let chainHi = Number.NEGATIVE_INFINITY;
  let v = head < 0 ? initial : installs[head]!;
  let inst = head;
  for (;;) {
    // Block of v: its installer, then its reads.
    const r0 = readStart[v]!;
    const r1 = readStart[v + 1]!;
    let blockLo = inst < 0 ? Number.POSITIVE_INFINITY : ret[inst]!;
    for (let i = r0; i < r1; i++) {
      const r = readOps[i]!;
      if (inst >= 0 && ret[r]! < call[inst]!) return r;
      if (ret[r]! < blockLo) blockLo = ret[r]!;
    }
    // Nothing in this block may have returned before something in an earlier block was called.
    if (blockLo < chainHi) return earliest(p, inst, readOps.subarray(r0, r1));
    if (inst >= 0) {
      chainOps[len++] = inst;
      chainOf[inst] = c;
      if (call[inst]! > chainHi) chainHi = call[inst]!;
    }
    for (let i = r0; i < r1; i++) {
      const r = readOps[i]!;
      chainOps[len++] = r;
      chainOf[r] = c;
      if (call[r]! > chainHi) chainHi = call[r]!;
    }
    if (blockLo < chainLo) chainLo = blockLo;
    const next = successor[v]!;
    if (next < 0) break;
    inst = next;
    v = installs[next]!;
  }
  chains.start.push(len);
  chains.lo.push(chainLo);
  chains.hi.push(chainHi);
  return -1;
}

/** 0, 1, …, m - 1. */
function iota(m: number): Int32Array {
  const ids = new Int32Array(m);
  for (let i = 0; i < m; i++) ids[i] = i;
  return ids;
}

/**
 * Kahn's algorithm over the implicit relation lo(A) < hi(B): the chains in an order real time
 * allows, or how far it got (the chains placed, and which are removed) when none exists.
 */
function orderOf({ lo, hi }: Chains): number[] | { order: number[]; removed: Uint8Array } {
  const m = lo.length;
  const byLo = sortBy(iota(m), lo);
  const byHi = sortBy(iota(m), hi);
  const removed = new Uint8Array(m);
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
    if (pick < 0) return { order, removed };
    removed[pick] = 1;
    order.push(pick);
  }
  return order;
}

const ID_BITS = 2 ** 21;

/**
 * Sorts ids (each below 2^21) by key[id], ties by id, in place. Keys are event indices, so
 * usually integers in [0, 2^31) or −∞: then each (key, id) pair is packed into one exact float
 * and sorted natively, far cheaper than a comparator; any other key falls back to one.
 */
function sortBy(ids: Int32Array, key: ArrayLike<number>): Int32Array {
  const m = ids.length;
  const packed = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const id = ids[i]!;
    const k = key[id]! === Number.NEGATIVE_INFINITY ? -1 : key[id]!;
    if (!(Number.isInteger(k) && k >= -1 && k < 2 ** 31 && id < ID_BITS))
      return ids.sort((a, b) => key[a]! - key[b]! || a - b);
    packed[i] = (k + 1) * ID_BITS + id;
  }
  packed.sort();
  for (let i = 0; i < m; i++) ids[i] = packed[i]! % ID_BITS;
  return ids;
}

/** The chains in this order, with the state after each operation. */
function linearize(p: Problem, chains: Chains, order: readonly number[]): PartialLinearization {
  const { requires, installs } = p.kernel.registerView!;
  const ops: number[] = [];
  const states: number[] = [];
  for (const c of order)
    for (let i = chains.start[c]!; i < chains.start[c + 1]!; i++) {
      const x = chains.ops[i]!;
      ops.push(x);
      states.push(installs[x]! >= 0 ? installs[x]! : requires[x]!);
    }
  return { ops, states };
}

/** Of two operations, the one that returned later (call order on ties). */
const later = (p: Problem, x: number, y: number) =>
  p.ret[x]! > p.ret[y]! || (p.ret[x] === p.ret[y] && x > y) ? x : y;

/** The operation of a block that returned first. */
function earliest(p: Problem, inst: number, reads: Int32Array): number {
  let best = inst;
  for (const r of reads) if (best < 0 || p.ret[r]! < p.ret[best]!) best = r;
  return best;
}

/**
 * Evidence when the order gets stuck: the chains placed so far, and the remaining operation
 * that returned first (nothing left can be placed before it), with the operations concurrent
 * with it (itself included, as the search reports them).
 */
function stuck(p: Problem, chains: Chains, order: readonly number[], removed: Uint8Array): SearchOutcome {
  const prefix = linearize(p, chains, order);
  const left: number[] = [];
  for (let c = 0; c < removed.length; c++)
    if (removed[c] === 0)
      for (let i = chains.start[c]!; i < chains.start[c + 1]!; i++) left.push(chains.ops[i]!);
  let first = left[0]!;
  for (const x of left) if (p.ret[x]! < p.ret[first]!) first = x;
  const concurrent = left.filter((x) => p.call[x]! <= p.ret[first]!).sort((a, b) => a - b);
  return { valid: false, configs: 0, longest: [prefix], stuck: first, concurrent, algorithm: ALGORITHM };
}

/** An operation that can never be linearized, whatever the order; with those overlapping it. */
function stuckAt(p: Problem, x: number): SearchOutcome {
  const concurrent: number[] = [];
  for (let y = 0; y < p.n; y++) if (p.call[y]! <= p.ret[x]! && p.ret[y]! >= p.call[x]!) concurrent.push(y);
  return { valid: false, configs: 0, longest: [], stuck: x, concurrent, algorithm: ALGORITHM };
}
