/**
 * The candidate lists of the search, as in Porcupine: the ok operations as a doubly linked list
 * of call (entry 2x) and return (entry 2x+1) entries in time order, calls first on ties (closed
 * intervals); the info operations, which have no return, as a second list in call order.
 */
import type { Problem } from './types.js';

export interface CandidateLists {
  /** Head of the ok list (entry 2n). */
  head: number;
  next: Int32Array;
  prev: Int32Array;
  /** Head of the info list (n). */
  ihead: number;
  inext: Int32Array;
  iprev: Int32Array;
}

export function buildLists(p: Problem): CandidateLists {
  const { n, call, ret, info } = p;
  const HEAD = 2 * n;
  const next = new Int32Array(2 * n + 1);
  const prev = new Int32Array(2 * n + 1);
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
  return { head: HEAD, next, prev, ihead: IHEAD, inext, iprev };
}
