/**
 * The Wing & Gong / Lowe search over one sub-history, on typed arrays.
 *
 * Operations that must be linearized (ok) live in a doubly linked list of call and return
 * entries in time order, as in Porcupine; the candidates at a configuration are the calls before
 * the first return entry (that return is the deadline). Operations that may or may not have
 * happened (info) have no return entry: they live in a second list and are candidates when
 * called no later than the deadline. The search succeeds as soon as every ok operation is
 * linearized: the remaining info operations simply never took effect.
 *
 * Candidates are tried ok-first, then info. Two prunings keep the search small, both sound by an
 * exchange argument (any linearization can be rewritten into one the pruned search explores):
 *  - an info operation is never linearized as a no-op (its step leaves the state as it was):
 *    leaving it out instead leaves every option open;
 *  - identical info operations (same f and argument) are linearized in call order only
 *    (`twin[x]`, the previous identical one, must already be linearized).
 *  - a read-only ok operation (a read) that is legal in the current state is linearized at once,
 *    and no alternative is tried at that configuration: moving the read earlier never hurts.
 * A configuration (bitset of linearized operations, state) is never visited twice.
 *
 * The search is resumable (`run(steps)`), so a scheduler can interleave many sub-histories
 * and stop at the first that is not linearizable, whichever it is.
 */
import { Memo, type MemoBudget, MemoFull } from './memo.js';
import type { Kernel } from './model.js';

export interface Problem {
  /** Number of operations, sorted by call time. */
  n: number;
  call: Float64Array;
  /** Return time; +Infinity for info operations. */
  ret: Float64Array;
  /** 1 for info operations (may take effect any time after their call, or never). */
  info: Uint8Array;
  /** For an info operation, the previous identical info operation, or -1. */
  twin: Int32Array;
  /** 1 for operations that never change the state where they are legal (reads). */
  readOnly: Uint8Array;
  kernel: Kernel;
}

export interface SearchLimits {
  /** performance.now() value past which the search gives up; Infinity for none. */
  deadline: number;
  /** Memory for memoization, shared by every search that holds a table at the same time. */
  budget: MemoBudget;
  /** Sub-histories longer than this start with a fingerprint memo (default FINGERPRINT_ABOVE). */
  fingerprintAbove?: number;
}

export interface PartialLinearization {
  ops: number[];
  /** The model state after each step. */
  states: number[];
}

export interface SearchOutcome {
  valid: boolean | 'unknown';
  reason?: 'time-limit' | 'memory-limit';
  /** Configurations visited. */
  configs: number;
  /** For valid outcomes: a linearization of the ok operations (with the info ones used). */
  linearization?: PartialLinearization;
  /** For invalid or unknown outcomes: the longest partial linearizations found (up to 3). */
  longest: PartialLinearization[];
  /** The operation whose return could not be reached at the deepest configuration. */
  stuck?: number;
  /** The operations that were candidates at that configuration (concurrent with `stuck`). */
  concurrent?: number[];
}

const MAX_LONGEST = 3;

/** A fixed-seed xorshift, so runs are reproducible. */
function zobrist(n: number, seed: number): Uint32Array {
  const z = new Uint32Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    z[i] = x >>> 0;
  }
  return z;
}

export interface Search {
  /** Runs at most `steps` steps; the outcome when finished, undefined when paused. */
  run(steps: number): SearchOutcome | undefined;
  /** Releases the memoization table (done automatically when the search finishes). */
  dispose(): void;
}

/** Runs a search to the end. */
export function search(p: Problem, limits: SearchLimits): SearchOutcome {
  const s = createSearch(p, limits);
  for (;;) {
    const o = s.run(Number.POSITIVE_INFINITY);
    if (o) return o;
  }
}

/** Above this many operations a sub-history is first searched with fingerprints only. */
export const FINGERPRINT_ABOVE = 4096;

/**
 * A search of one sub-history. Long ones start with a fingerprint memo (16 bytes a
 * configuration instead of n/8); a linearization found that way is verified and is a proof,
 * while a refutation is re-checked with the exact memo, so no verdict rests on a hash.
 */
export function createSearch(p: Problem, limits: SearchLimits): Search {
  let exact = p.n <= (limits.fingerprintAbove ?? FINGERPRINT_ABOVE);
  let inner = createSearchMode(p, limits, exact);
  return {
    run(steps) {
      const o = inner.run(steps);
      if (o === undefined || exact) return o;
      if (o.valid === true && o.linearization && verify(p, o.linearization)) return o;
      if (o.valid === 'unknown') return o;
      inner.dispose();
      exact = true;
      inner = createSearchMode(p, limits, true);
      return undefined;
    },
    dispose: () => inner.dispose(),
  };
}

/** Checks a linearization independently: every ok op once, real-time order, legal steps. */
export function verify(p: Problem, lin: PartialLinearization): boolean {
  const { n, call, ret, info, kernel } = p;
  const seen = new Uint8Array(n);
  let maxCall = Number.NEGATIVE_INFINITY;
  let state = -1;
  for (let i = 0; i < lin.ops.length; i++) {
    const x = lin.ops[i]!;
    if (x < 0 || x >= n || seen[x] === 1) return false;
    seen[x] = 1;
    // No operation placed earlier may have been called after this one returned.
    if (ret[x]! < maxCall) return false;
    if (call[x]! > maxCall) maxCall = call[x]!;
    const next = lin.states[i]!;
    if (i === 0) {
      if (!kernel.initial.some((s0) => kernel.stepN(s0, x).includes(next))) return false;
    } else if (!kernel.stepN(state, x).includes(next)) return false;
    state = next;
  }
  for (let x = 0; x < n; x++) if (info[x] === 0 && seen[x] === 0) return false;
  return true;
}

function createSearchMode(p: Problem, limits: SearchLimits, exact: boolean): Search {
  const { n, call, ret, info, twin, readOnly, kernel } = p;
  const HEAD = 2 * n;
  const next = new Int32Array(2 * n + 1);
  const prev = new Int32Array(2 * n + 1);
  // The ok list: calls (entry 2x) and returns (entry 2x+1) in time order, calls first on ties.
  const okOps: number[] = [];
  for (let x = 0; x < n; x++) if (info[x] === 0) okOps.push(x);
  const byRet = okOps.slice().sort((a, b) => ret[a]! - ret[b]!);
  {
    let last = HEAD;
    let i = 0;
    let j = 0;
    while (i < okOps.length || j < byRet.length) {
      let entry: number;
      if (j >= byRet.length || (i < okOps.length && call[okOps[i]!]! <= ret[byRet[j]!]!))
        entry = 2 * okOps[i++]!;
      else entry = 2 * byRet[j++]! + 1;
      next[last] = entry;
      prev[entry] = last;
      last = entry;
    }
    next[last] = HEAD;
    prev[HEAD] = last;
  }
  // The info list, in call order.
  const IHEAD = n;
  const inext = new Int32Array(n + 1);
  const iprev = new Int32Array(n + 1);
  {
    let last = IHEAD;
    for (let x = 0; x < n; x++) {
      if (info[x] === 0) continue;
      inext[last] = x;
      iprev[x] = last;
      last = x;
    }
    inext[last] = IHEAD;
    iprev[IHEAD] = last;
  }

  const words = Math.max(1, (n + 31) >>> 5);
  const bits = new Uint32Array(words);
  const zob = zobrist(n, 0x2545f491);
  const zob2 = exact ? zob : zobrist(n, 0x6b43a9b5);
  const memo = new Memo(words, limits.budget, exact);
  const stackOp = new Int32Array(n + 1);
  const stackPrev = new Int32Array(n + 1);
  const stackAlt = new Int32Array(n + 1);
  const stackDeadline = new Float64Array(n + 1);
  const stackForced = new Uint8Array(n + 1);
  const deterministic = kernel.deterministic;
  const timed = limits.deadline !== Number.POSITIVE_INFINITY;

  let hash = 0;
  let hash2 = 0;
  let sp = 0;
  let steps = 0;

  // Evidence: the deepest configurations reached.
  let bestDepth = -1;
  let stuck: number | undefined;
  let concurrent: number[] | undefined;
  let stuckDepth = -1;

  const snapshot = (s: number): PartialLinearization => {
    const ops: number[] = [];
    const states: number[] = [];
    for (let i = 0; i < sp; i++) {
      ops.push(stackOp[i]!);
      states.push(i + 1 < sp ? stackPrev[i + 1]! : s);
    }
    return { ops, states };
  };
  // The deepest partial linearization, kept incrementally: only the part of the stack that
  // changed since the last copy is copied again (low = the lowest depth popped to since).
  const bestOps = new Int32Array(n + 1);
  const bestStates = new Int32Array(n + 1);
  let low = 0;
  const extra: PartialLinearization[] = [];
  const noteDepth = (s: number) => {
    if (sp > bestDepth) {
      for (let i = Math.max(0, Math.min(low, bestDepth) - 1); i < sp; i++) {
        bestOps[i] = stackOp[i]!;
        bestStates[i] = i + 1 < sp ? stackPrev[i + 1]! : s;
      }
      bestDepth = sp;
      low = sp;
      extra.length = 0;
    } else if (sp === bestDepth && extra.length < MAX_LONGEST - 1 && sp <= 2000) extra.push(snapshot(s));
  };
  const longestNow = (): PartialLinearization[] =>
    bestDepth < 0
      ? []
      : [
          {
            ops: Array.from(bestOps.subarray(0, bestDepth)),
            states: Array.from(bestStates.subarray(0, bestDepth)),
          },
          ...extra,
        ];
  const noteStuck = (deadlineEntry: number, deadline: number) => {
    if (sp <= stuckDepth) return;
    stuckDepth = sp;
    stuck = deadlineEntry >> 1;
    const c: number[] = [];
    for (let e = next[HEAD]!; e !== deadlineEntry; e = next[e]!) if ((e & 1) === 0) c.push(e >> 1);
    for (let x = inext[IHEAD]!; x !== IHEAD && call[x]! <= deadline; x = inext[x]!) c.push(x);
    concurrent = c;
  };
  const unknown = (reason: 'time-limit' | 'memory-limit'): SearchOutcome => ({
    valid: 'unknown',
    reason,
    configs: memo.size,
    longest: longestNow(),
    ...(stuck === undefined ? {} : { stuck, concurrent }),
  });

  const lift = (x: number) => {
    if (info[x] === 1) {
      const a = iprev[x]!;
      const b = inext[x]!;
      inext[a] = b;
      iprev[b] = a;
    } else {
      let e = 2 * x;
      next[prev[e]!] = next[e]!;
      prev[next[e]!] = prev[e]!;
      e++;
      next[prev[e]!] = next[e]!;
      prev[next[e]!] = prev[e]!;
    }
  };
  const unlift = (x: number) => {
    if (info[x] === 1) {
      inext[iprev[x]!] = x;
      iprev[inext[x]!] = x;
    } else {
      let e = 2 * x + 1;
      next[prev[e]!] = e;
      prev[next[e]!] = e;
      e--;
      next[prev[e]!] = e;
      prev[next[e]!] = e;
    }
  };

  // Tries to linearize x from state s, starting at alternative `alt`; on success pushes the
  // frame, lifts x and returns the new state, else returns -1.
  const attempt = (x: number, s: number, alt: number, deadline: number): number => {
    const isInfo = info[x] === 1;
    if (isInfo) {
      const t = twin[x]!;
      if (t >= 0 && (bits[t >>> 5]! & (1 << (t & 31))) === 0) return -1;
    }
    const w = x >>> 5;
    const m = 1 << (x & 31);
    if (deterministic) {
      if (alt > 0) return -1;
      const ns = kernel.step1(s, x);
      if (ns < 0 || (isInfo && ns === s)) return -1;
      bits[w]! |= m;
      if (!memo.add(bits, ns, (hash ^ zob[x]!) >>> 0, (hash2 ^ zob2[x]!) >>> 0)) {
        bits[w]! &= ~m;
        return -1;
      }
      hash = (hash ^ zob[x]!) >>> 0;
      hash2 = (hash2 ^ zob2[x]!) >>> 0;
      stackOp[sp] = x;
      stackPrev[sp] = s;
      stackAlt[sp] = 0;
      stackDeadline[sp] = deadline;
      stackForced[sp] = 0;
      sp++;
      lift(x);
      return ns;
    }
    const alts = kernel.stepN(s, x);
    for (let a = alt; a < alts.length; a++) {
      const ns = alts[a]!;
      if (isInfo && ns === s) continue;
      bits[w]! |= m;
      if (!memo.add(bits, ns, (hash ^ zob[x]!) >>> 0, (hash2 ^ zob2[x]!) >>> 0)) {
        bits[w]! &= ~m;
        continue;
      }
      hash = (hash ^ zob[x]!) >>> 0;
      hash2 = (hash2 ^ zob2[x]!) >>> 0;
      stackOp[sp] = x;
      stackPrev[sp] = s;
      stackAlt[sp] = a;
      stackDeadline[sp] = deadline;
      stackForced[sp] = 0;
      sp++;
      lift(x);
      return ns;
    }
    return -1;
  };

  // Loop state, kept across run() calls.
  let root = 0;
  let s = kernel.initial[0] ?? 0;
  let e = next[HEAD]!;
  let ie = -1; // -1: still among the ok candidates
  let deadline = 0;
  let alt = 0;
  let fresh = true;
  let finished: SearchOutcome | undefined =
    kernel.initial.length === 0 ? { valid: n === 0, configs: 0, longest: [] } : undefined;

  const finish = (o: SearchOutcome) => {
    finished = o;
    memo.dispose();
    return o;
  };

  // Growth pruning (kv appends): walking the ok list in time order, every return met before
  // any resetting operation could run must still be reachable from s. Checks a few returns.
  const resets = kernel.resets;
  const reachable = kernel.reachable;
  const doomed = (): boolean => {
    if (!resets || !reachable) return false;
    let checked = 0;
    let ix = inext[IHEAD]!;
    for (let c = next[HEAD]!; c !== HEAD; c = next[c]!) {
      const x = c >> 1;
      if ((c & 1) === 0) {
        if (resets[x] === 1) return false;
        continue;
      }
      const t = ret[x]!;
      while (ix !== IHEAD && call[ix]! <= t) {
        if (resets[ix] === 1) return false;
        ix = inext[ix]!;
      }
      if (!reachable(s, x)) return true;
      if (++checked === 4) return false;
    }
    return false;
  };

  // A read-only candidate legal in s: its index, or -1.
  const legalRead = (): number => {
    for (let c = next[HEAD]!; (c & 1) === 0; c = next[c]!) {
      const x = c >> 1;
      if (readOnly[x] === 0) continue;
      if (deterministic ? kernel.step1(s, x) >= 0 : kernel.stepN(s, x).length > 0) return x;
    }
    return -1;
  };

  const run = (budget: number): SearchOutcome | undefined => {
    if (finished) return finished;
    try {
      for (;;) {
        if (budget-- <= 0) return undefined;
        if (timed && (++steps & 1023) === 0 && performance.now() > limits.deadline)
          return finish(unknown('time-limit'));
        let ns = -1;
        let dead = false;
        if (fresh) {
          if (next[HEAD] === HEAD)
            return finish({ valid: true, configs: memo.size, linearization: snapshot(s), longest: [] });
          const r = doomed() ? -2 : legalRead();
          if (r === -2) dead = true;
          else if (r >= 0) {
            bits[r >>> 5]! |= 1 << (r & 31);
            if (memo.add(bits, s, (hash ^ zob[r]!) >>> 0, (hash2 ^ zob2[r]!) >>> 0)) {
              hash = (hash ^ zob[r]!) >>> 0;
              hash2 = (hash2 ^ zob2[r]!) >>> 0;
              stackOp[sp] = r;
              stackPrev[sp] = s;
              stackAlt[sp] = 0;
              stackForced[sp] = 1;
              sp++;
              lift(r);
              e = next[HEAD]!;
              ie = -1;
              continue;
            }
            bits[r >>> 5]! &= ~(1 << (r & 31));
            dead = true;
          }
        }
        if (!dead && ie < 0) {
          while ((e & 1) === 0) {
            ns = attempt(e >> 1, s, alt, 0);
            alt = 0;
            if (ns >= 0) break;
            e = next[e]!;
          }
          if (ns < 0) {
            deadline = ret[e >> 1]!;
            ie = inext[IHEAD]!;
          }
        }
        if (!dead && ns < 0) {
          while (ie !== IHEAD && call[ie]! <= deadline) {
            ns = attempt(ie, s, alt, deadline);
            alt = 0;
            if (ns >= 0) break;
            ie = inext[ie]!;
          }
        }
        if (ns >= 0) {
          s = ns;
          e = next[HEAD]!;
          ie = -1;
          fresh = true;
          continue;
        }
        // Dead end: no candidate leads to a new configuration.
        if (sp >= bestDepth) {
          noteDepth(s);
          let d = next[HEAD]!;
          while ((d & 1) === 0) d = next[d]!;
          noteStuck(d, ret[d >> 1]!);
        }
        // Backtrack, through forced moves: their configurations are dead as well.
        let x = -1;
        while (sp > 0) {
          sp--;
          x = stackOp[sp]!;
          s = stackPrev[sp]!;
          unlift(x);
          bits[x >>> 5]! &= ~(1 << (x & 31));
          hash = (hash ^ zob[x]!) >>> 0;
          hash2 = (hash2 ^ zob2[x]!) >>> 0;
          if (sp < low) low = sp;
          if (stackForced[sp] === 0) break;
          x = -1;
        }
        if (x < 0) {
          // This root is exhausted; try the next initial state.
          root++;
          if (root >= kernel.initial.length)
            return finish({
              valid: false,
              configs: memo.size,
              longest: longestNow(),
              ...(stuck === undefined ? {} : { stuck, concurrent }),
            });
          s = kernel.initial[root]!;
          e = next[HEAD]!;
          ie = -1;
          alt = 0;
          fresh = true;
          continue;
        }
        fresh = false;
        alt = stackAlt[sp]! + 1;
        if (info[x] === 1) {
          ie = x;
          deadline = stackDeadline[sp]!;
        } else {
          e = 2 * x;
          ie = -1;
        }
      }
    } catch (err) {
      if (err instanceof MemoFull) return finish(unknown('memory-limit'));
      throw err;
    }
  };

  return { run, dispose: () => memo.dispose() };
}
