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

/** The outcome, or undefined when the preconditions do not hold (use the general search). */
export function checkUniqueWrites(p: Problem): SearchOutcome | undefined {
  const view = p.kernel.registerView;
  if (!view || p.kernel.initial.length !== 1) return undefined;
  const { n, call, ret, info } = p;
  const { requires, installs } = view;
  const initial = p.kernel.initial[0]!;
  // The installer of each value.
  const installer = new Map<number, number>();
  for (let x = 0; x < n; x++) {
    const u = installs[x]!;
    if (u < 0) {
      if (info[x] === 1) return undefined; // reads with unknown results should be gone
      continue;
    }
    if (u === initial || installer.has(u)) return undefined;
    installer.set(u, x);
  }
  // Which operations took effect: every ok one, and the info installers of required values.
  const kept = new Uint8Array(n);
  const work: number[] = [];
  const need = (v: number) => {
    const w = installer.get(v);
    if (w !== undefined && kept[w] === 0) {
      kept[w] = 1;
      work.push(w);
    }
  };
  for (let x = 0; x < n; x++) if (info[x] === 0) kept[x] = 1;
  for (let x = 0; x < n; x++) if (kept[x] === 1 && requires[x]! >= 0) need(requires[x]!);
  while (work.length > 0) {
    const w = work.pop()!;
    if (requires[w]! >= 0) need(requires[w]!);
  }
  // Each required value has an installer (or is the initial value), and at most one cas from it.
  const successor = new Map<number, number>();
  let initialRequired = false;
  for (let x = 0; x < n; x++) {
    if (kept[x] === 0) continue;
    const v = requires[x]!;
    if (v < 0) continue;
    if (v === initial) initialRequired = true;
    else if (!installer.has(v)) return stuckAt(p, x);
    if (installs[x]! >= 0) {
      if (successor.has(v)) return stuckAt(p, later(p, x, successor.get(v)!));
      successor.set(v, x);
    }
  }
  // Chains of blocks, from each plain write (and the initial value), following cas.
  const readersOf = new Map<number, number[]>();
  for (let x = 0; x < n; x++) {
    if (kept[x] === 0 || installs[x]! >= 0 || requires[x]! < 0) continue;
    const v = requires[x]!;
    let rs = readersOf.get(v);
    if (rs === undefined) {
      rs = [];
      readersOf.set(v, rs);
    }
    rs.push(x);
  }
  const chainOf = new Int32Array(n).fill(-1);
  // Each chain as its operations in linearization order, reads of a block by return time.
  const chains: number[][] = [];
  const lo: number[] = [];
  const hi: number[] = [];
  const heads: number[] = [];
  if (initialRequired) heads.push(-1);
  for (let x = 0; x < n; x++) if (kept[x] === 1 && installs[x]! >= 0 && requires[x]! < 0) heads.push(x);
  for (const head of heads) {
    const c = chains.length;
    const ops: number[] = [];
    let chainLo = head < 0 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    let chainHi = Number.NEGATIVE_INFINITY;
    let v = head < 0 ? initial : installs[head]!;
    let inst = head;
    for (;;) {
      // Block of v: its installer, then its reads.
      const rs = (readersOf.get(v) ?? []).sort((a, b) => ret[a]! - ret[b]!);
      let blockLo = inst < 0 ? Number.POSITIVE_INFINITY : ret[inst]!;
      for (const r of rs) {
        if (inst >= 0 && ret[r]! < call[inst]!) return stuckAt(p, r);
        if (ret[r]! < blockLo) blockLo = ret[r]!;
      }
      // Nothing in this block may have returned before something in an earlier block was called.
      if (blockLo < chainHi) return stuckAt(p, earliest(p, inst, rs));
      if (inst >= 0) {
        ops.push(inst);
        chainOf[inst] = c;
        if (call[inst]! > chainHi) chainHi = call[inst]!;
      }
      for (const r of rs) {
        ops.push(r);
        chainOf[r] = c;
        if (call[r]! > chainHi) chainHi = call[r]!;
      }
      if (blockLo < chainLo) chainLo = blockLo;
      const next = successor.get(v);
      if (next === undefined) break;
      inst = next;
      v = installs[next]!;
    }
    chains.push(ops);
    lo.push(chainLo);
    hi.push(chainHi);
  }
  // Operations left over lie on cas cycles that no write or initial value starts.
  for (let x = 0; x < n; x++) if (kept[x] === 1 && chainOf[x]! < 0) return stuckAt(p, x);
  // Kahn's algorithm over the implicit relation lo(A) < hi(B).
  const m = chains.length;
  const ids = Array.from({ length: m }, (_, i) => i);
  const byLo = Int32Array.from(ids).sort((a, b) => lo[a]! - lo[b]! || a - b);
  const byHi = Int32Array.from(ids).sort((a, b) => hi[a]! - hi[b]! || a - b);
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
    if (pick < 0) return stuck(p, chains, order, removed);
    removed[pick] = 1;
    order.push(pick);
  }
  const lin = linearize(p, chains, order);
  if (!verify(p, lin)) return undefined;
  return { valid: true, configs: 0, linearization: lin, longest: [], algorithm: ALGORITHM };
}

/** The chains in this order, with the state after each operation. */
function linearize(p: Problem, chains: readonly number[][], order: readonly number[]): PartialLinearization {
  const { requires, installs } = p.kernel.registerView!;
  const ops: number[] = [];
  const states: number[] = [];
  for (const c of order)
    for (const x of chains[c]!) {
      ops.push(x);
      states.push(installs[x]! >= 0 ? installs[x]! : requires[x]!);
    }
  return { ops, states };
}

/** Of two operations, the one that returned later (call order on ties). */
const later = (p: Problem, x: number, y: number) =>
  p.ret[x]! > p.ret[y]! || (p.ret[x] === p.ret[y] && x > y) ? x : y;

/** The operation of a block that returned first. */
function earliest(p: Problem, inst: number, reads: readonly number[]): number {
  let best = inst;
  for (const r of reads) if (best < 0 || p.ret[r]! < p.ret[best]!) best = r;
  return best;
}

/**
 * Evidence when the order gets stuck: the chains placed so far, and the remaining operation
 * that returned first (nothing left can be placed before it), with the operations concurrent
 * with it (itself included, as the search reports them).
 */
function stuck(
  p: Problem,
  chains: readonly number[][],
  order: readonly number[],
  removed: Uint8Array,
): SearchOutcome {
  const prefix = linearize(p, chains, order);
  let first = -1;
  for (let c = 0; c < chains.length; c++) {
    if (removed[c] === 1) continue;
    for (const x of chains[c]!) if (first < 0 || p.ret[x]! < p.ret[first]!) first = x;
  }
  const concurrent: number[] = [];
  for (let c = 0; c < chains.length; c++) {
    if (removed[c] === 1) continue;
    for (const x of chains[c]!) if (p.call[x]! <= p.ret[first]!) concurrent.push(x);
  }
  concurrent.sort((a, b) => a - b);
  return { valid: false, configs: 0, longest: [prefix], stuck: first, concurrent, algorithm: ALGORITHM };
}

/** An operation that can never be linearized, whatever the order. */
function stuckAt(p: Problem, x: number): SearchOutcome {
  const concurrent: number[] = [];
  for (let y = 0; y < p.n; y++) if (p.call[y]! <= p.ret[x]!) concurrent.push(y);
  return { valid: false, configs: 0, longest: [], stuck: x, concurrent, algorithm: ALGORITHM };
}
