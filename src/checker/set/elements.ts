/**
 * Judging per element, one key at a time. A pass over the key's rows gives every element its
 * adds and, read by read in invocation order, when it was first seen, the last read that
 * showed it and where the run of consecutive reads that showed it up to then began. That run
 * is all the verdict needs: an element's last absent read after it was known is the read
 * before its final run when that run reaches the key's last read, else the last read. So each
 * element is judged in O(log reads), and a key costs O(rows + element occurrences in reads).
 * The buffers are kept from key to key: a check of 10^6 operations allocates little.
 */
import type { Key, Op, Value } from '../../history/op.js';
import { FAIL, nsToMs, OK } from '../sweep.js';
import { ADD, type Columns, READ } from './columns.js';
import { record, type Tally } from './evidence.js';
import { type Ids, idFor, newIds, resetIds } from './ids.js';
import type { SetOutcome } from './types.js';

/** One key's elements (by id, in order of first appearance) and its ok reads (by number). */
export interface KeyData {
  elements: number;
  values: Value[];
  ids: Ids;
  /** The first add's invocation, and its time; -1 when never added. */
  addInv: Int32Array;
  addTime: Float64Array;
  /** The completion of an acknowledged add; its best outcome (ok over info over fail; 0: none). */
  addAck: Int32Array;
  addOutcome: Uint8Array;
  /** The earliest completion of a read that showed the element (-1: none), and its time. */
  seenComp: Int32Array;
  seenTime: Float64Array;
  /** The last read that showed it, where the run of reads that showed it up to then began. */
  lastRead: Int32Array;
  runStart: Int32Array;
  /** Where it stood in the last read's array (for the merge in `decode`). */
  posInLast: Int32Array;
  reads: number;
  readInv: Int32Array;
  readComp: Int32Array;
  /** Successive reads' element ids, for the merge. */
  prev: readonly Value[];
  prevIds: Int32Array;
  curIds: Int32Array;
}

export function keyData(): KeyData {
  const n = 64;
  return {
    ...{ elements: 0, values: [], ids: newIds(), addInv: new Int32Array(n) },
    ...{ addTime: new Float64Array(n), addAck: new Int32Array(n), addOutcome: new Uint8Array(n) },
    ...{ seenComp: new Int32Array(n), seenTime: new Float64Array(n), lastRead: new Int32Array(n) },
    ...{ runStart: new Int32Array(n), posInLast: new Int32Array(n), reads: 0 },
    ...{ readInv: new Int32Array(n), readComp: new Int32Array(n) },
    ...{ prev: [], prevIds: new Int32Array(n), curIds: new Int32Array(n) },
  };
}

const ELEMENT_COLUMNS = [
  ...['addInv', 'addTime', 'addAck', 'addOutcome', 'seenComp', 'seenTime'],
  ...['lastRead', 'runStart', 'posInLast'],
] as const;

/** Doubles the per-element columns. */
function growElements(d: KeyData): void {
  for (const name of ELEMENT_COLUMNS) {
    const a = d[name];
    const b = new (a.constructor as Int32ArrayConstructor)(a.length * 2);
    b.set(a as Int32Array);
    (d as unknown as Record<string, unknown>)[name] = b;
  }
}

function growReads(d: KeyData): void {
  for (const name of ['readInv', 'readComp'] as const) {
    const b = new Int32Array(d[name].length * 2);
    b.set(d[name]);
    d[name] = b;
  }
}

function idOf(d: KeyData, e: Value): number {
  const id = idFor(d.ids, e, d.elements);
  if (id < d.elements) return id;
  d.elements++;
  if (id === d.addInv.length) growElements(d);
  d.values[id] = e;
  d.addInv[id] = -1;
  d.addAck[id] = -1;
  d.addOutcome[id] = 0;
  d.seenComp[id] = -1;
  d.lastRead[id] = -1;
  d.runStart[id] = 0; // an element first shown by read 0 begins its run there
  d.posInLast[id] = -1;
  return id;
}

/**
 * Read `r`'s elements (completed at position `c`, time `t`). Successive reads of a set mostly
 * list the same elements in the same order, so each element is first compared with the one
 * after the previous match in the previous read (a merge); only a mismatch costs a map lookup,
 * which also re-aligns the merge.
 */
function decode(d: KeyData, value: readonly Value[], r: number, c: number, t: number): void {
  if (d.curIds.length < value.length) d.curIds = new Int32Array(value.length * 2);
  const { prev, prevIds, curIds } = d;
  let j = 0;
  for (let i = 0; i < value.length; i++) {
    const e = value[i]!;
    let id: number;
    if (j < prev.length && prev[j] === e) id = prevIds[j++]!;
    else {
      id = idOf(d, e);
      if (d.lastRead[id] === r - 1) j = d.posInLast[id]! + 1;
    }
    curIds[i] = id;
    const last = d.lastRead[id]!;
    if (last === r) continue; // listed twice in one read
    // Reads are in invocation order, not completion order: keep the earliest completion.
    if (d.seenComp[id]! < 0 || c < d.seenComp[id]!) {
      d.seenComp[id] = c;
      d.seenTime[id] = t;
    }
    if (last !== r - 1) d.runStart[id] = r;
    d.lastRead[id] = r;
    d.posInLast[id] = i;
  }
  d.prev = value;
  d.prevIds = curIds;
  d.curIds = prevIds;
}

function added(d: KeyData, id: number, p: number, c: number, o: number, time: number): void {
  if (d.addInv[id]! < 0) {
    d.addInv[id] = p;
    d.addTime[id] = time;
  }
  // An element added twice: the best outcome counts (ok over info over fail).
  const best = d.addOutcome[id]!;
  if (o === OK && best !== OK) d.addAck[id] = c;
  if (best === 0 || o === OK || (o !== FAIL && best === FAIL)) d.addOutcome[id] = o;
}

/** Fills `d` from key slot `slot`'s rows; returns how many ok reads were not arrays. */
export function collect(ops: readonly Op[], g: Columns, slot: number, d: KeyData): number {
  d.elements = 0;
  d.reads = 0;
  resetIds(d.ids, g.start[slot + 1]! - g.start[slot]!);
  d.prev = [];
  let malformed = 0;
  for (let j = g.start[slot]!; j < g.start[slot + 1]!; j++) {
    const kind = g.kind[j]!;
    const p = g.pos[j]!;
    const c = g.comp[j]!;
    const o = g.outcome[j]!;
    if (kind !== READ) {
      const id = idOf(d, kind === ADD ? g.element[j]! : ops[p]!.value);
      added(d, id, p, c, o, g.time[j]!);
      continue;
    }
    if (o !== OK) continue;
    const value = ops[c]!.value;
    if (value !== null && !Array.isArray(value)) {
      malformed++;
      continue;
    }
    if (d.reads === d.readInv.length) growReads(d);
    const r = d.reads++;
    d.readInv[r] = p;
    d.readComp[r] = c;
    decode(d, value ?? [], r, c, g.time[j]!);
  }
  return malformed;
}

/** The first read (by number) whose invocation comes after position `known`. */
function firstReadAfter(readInv: Int32Array, count: number, known: number): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (readInv[mid]! > known) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Judges every element of the key `collect` filled `d` with, into `t`. */
export function judgeKey(ops: readonly Op[], key: Key | undefined, d: KeyData, t: Tally): void {
  const c = t.counts;
  c.reads += d.reads;
  for (let id = 0; id < d.elements; id++) {
    const addInv = d.addInv[id]!;
    const outcome = d.addOutcome[id]!;
    const seenComp = d.seenComp[id]!;
    if (addInv >= 0) c.attempted++;
    if (outcome === OK) c.acknowledged++;
    if (addInv < 0 || outcome === FAIL) {
      if (seenComp >= 0) record(t, ops, key, d, id, 'unexpected', -1, -1, 0);
      continue; // a failed add never seen: as it should be
    }
    let known = outcome === OK ? d.addAck[id]! : -1;
    if (seenComp >= 0) {
      if (known < 0 || seenComp < known) known = seenComp;
      t.firstSeen[t.firstSeenCount++] = nsToMs(d.seenTime[id]! - d.addTime[id]!);
    }
    if (known < 0) {
      c.unknown++;
      continue;
    }
    judgeKnown(ops, key, d, t, id, known);
  }
}

/** An element known (acknowledged or seen) at position `known`: ok, stale, lost or never read. */
function judgeKnown(
  ops: readonly Op[],
  key: Key | undefined,
  d: KeyData,
  t: Tally,
  id: number,
  known: number,
) {
  const R = d.reads;
  const j0 = firstReadAfter(d.readInv, R, known);
  const lastPresent = d.lastRead[id]!;
  // The last read after `known` that misses it: just before its final run of reads showing it.
  const missed = lastPresent === R - 1 ? d.runStart[id]! - 1 : R - 1;
  const lastAbsent = missed >= j0 ? missed : -1;
  let outcome: SetOutcome = 'ok';
  if (lastPresent < 0 && lastAbsent < 0) outcome = 'never-read';
  else if (lastAbsent > lastPresent) outcome = 'lost';
  else if (lastAbsent >= 0) outcome = 'stale';
  record(t, ops, key, d, id, outcome, known, lastAbsent, j0);
}
