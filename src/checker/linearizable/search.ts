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
function zobrist(n: number): Uint32Array {
  const z = new Uint32Array(n);
  let x = 0x2545f491;
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
  return createSearch(p, limits).run(Number.POSITIVE_INFINITY)!;
}

export function createSearch(p: Problem, limits: SearchLimits): Search {
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
  const zob = zobrist(n);
  const memo = new Memo(words, limits.budget);
  const stackOp = new Int32Array(n + 1);
  const stackPrev = new Int32Array(n + 1);
  const stackAlt = new Int32Array(n + 1);
  const stackDeadline = new Float64Array(n + 1);
  const stackForced = new Uint8Array(n + 1);
  const deterministic = kernel.deterministic;
  const timed = limits.deadline !== Number.POSITIVE_INFINITY;

  let hash = 0;
  let sp = 0;
  let steps = 0;

  // Evidence: the deepest configurations reached.
  let bestDepth = -1;
  const longest: PartialLinearization[] = [];
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
  const noteDepth = (s: number) => {
    if (sp > bestDepth) {
      bestDepth = sp;
      longest.length = 0;
      longest.push(snapshot(s));
    } else if (sp === bestDepth && longest.length < MAX_LONGEST) longest.push(snapshot(s));
  };
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
    longest,
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
      if (!memo.add(bits, ns, (hash ^ zob[x]!) >>> 0)) {
        bits[w]! &= ~m;
        return -1;
      }
      hash = (hash ^ zob[x]!) >>> 0;
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
      if (!memo.add(bits, ns, (hash ^ zob[x]!) >>> 0)) {
        bits[w]! &= ~m;
        continue;
      }
      hash = (hash ^ zob[x]!) >>> 0;
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
    kernel.initial.length === 0 ? { valid: n === 0, configs: 0, longest } : undefined;

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
            if (memo.add(bits, s, (hash ^ zob[r]!) >>> 0)) {
              hash = (hash ^ zob[r]!) >>> 0;
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
              longest,
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
