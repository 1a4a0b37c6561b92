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
import { Memo, MemoFull } from '../memo.js';
import { Evidence } from './evidence.js';
import { buildLists } from './lists.js';
import type { Problem, Search, SearchLimits, SearchOutcome } from './types.js';
import { zobrist } from './zobrist.js';

/**
 * One search mode: `exact` keeps whole bitsets in the memo; otherwise 64-bit fingerprints only
 * (see createSearch, which re-checks any refutation found that way).
 */
export function createSearchMode(p: Problem, limits: SearchLimits, exact: boolean): Search {
  const { n, call, ret, info, twin, readOnly, kernel } = p;
  const lists = buildLists(p);
  const { head: HEAD, next, prev, ihead: IHEAD, inext, iprev } = lists;

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

  const ev = new Evidence(n, stackOp, stackPrev, call, ret, lists);
  const snapshot = (s: number) => ev.snapshot(sp, s);

  const unknown = (reason: 'time-limit' | 'memory-limit'): SearchOutcome => ({
    valid: 'unknown',
    reason,
    configs: memo.size,
    longest: ev.longest(),
    ...(ev.stuck === undefined ? {} : { stuck: ev.stuck, concurrent: ev.concurrent! }),
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
        ev.deadEnd(sp, s);
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
          ev.popped(sp);
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
              longest: ev.longest(),
              ...(ev.stuck === undefined ? {} : { stuck: ev.stuck, concurrent: ev.concurrent! }),
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
