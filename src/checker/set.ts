/**
 * The set checker (Jepsen's set-full): unique elements are added (`add`, value = element) and
 * the whole set is read (`read`, ok value = array of elements). Each element becomes known at
 * its add's acknowledgement or at the end of the first read that shows it, whichever is first;
 * then, over the reads of its key that began after it was known:
 *   ok          present in every such read (or absent only from reads before the last that
 *               showed it, and then it is also `stale`: it took a while to appear everywhere);
 *   lost        absent from the last such read and from every read after the last that showed
 *               it: an acknowledged (or once seen) element that disappeared for good;
 *   never-read  no read began after it was known;
 *   unexpected  read, but never added (or its add definitely failed).
 * Invalid when an element is lost or unexpected (and, with `linearizable`, stale).
 *
 * Per key: reads are numbered in invocation order, each element's reads are collected as
 * CSR lists on typed arrays, and its last absent read is found by walking down from the last
 * read past the ones that show it: O(operations + element occurrences in reads).
 */
import type { History, Key, Op, Value } from '../history/op.js';
import { FAIL, IntList, nsToMs, OK, type Pairing, pairEvents, type Quantiles, quantiles } from './sweep.js';
import type { Checker, CheckResult, Verdict } from './types.js';

export interface SetOptions {
  /** Operation names (default 'add' and 'read'). */
  add?: string;
  read?: string;
  /** Also count stale elements as errors (a linearizable set shows an add at once). */
  linearizable?: boolean;
  /** How many elements to describe per outcome (default 20). */
  maxEvidence?: number;
}

export type SetOutcome = 'ok' | 'stale' | 'lost' | 'never-read' | 'unexpected';

export interface SetElementEvidence {
  key: Key | undefined;
  element: Value;
  outcome: SetOutcome;
  /** Event indexes: the add's invocation and acknowledgement (null when none). */
  addIndex: number | null;
  ackIndex: number | null;
  /** The event at which the element became known (its ack, or a read's completion). */
  knownIndex: number | null;
  /** The completion of the last read that showed it (null when none did). */
  lastSeenIndex: number | null;
  /** The invocation of the last read that began after it was known and missed it. */
  lastMissedIndex: number | null;
  /** Lost: how many reads, from the last one that showed it on, missed it. */
  readsMissing?: number;
  /** Stale: milliseconds from known to the start of the first read after which every read shows it. */
  staleMs?: number;
}

/** The tallies and evidence of a set check. */
export interface SetCounts {
  reads: number;
  /** Reads whose value was not an array (left out). */
  malformedReads: number;
  attempted: number;
  acknowledged: number;
  ok: number;
  stale: number;
  lost: number;
  neverRead: number;
  unexpected: number;
  /** Adds neither acknowledged nor ever seen (info or still open): nothing to judge. */
  unknown: number;
  lostElements: SetElementEvidence[];
  staleElements: SetElementEvidence[];
  unexpectedElements: SetElementEvidence[];
}

export interface SetResult extends CheckResult, SetCounts {
  checker: 'set';
  valid: Verdict;
  summary: string;
  latencyMs: {
    /** From an add's invocation to the end of the first read that showed its element. */
    firstSeen: Quantiles | null;
    /** Stale elements' staleMs. */
    stale: Quantiles | null;
  };
}

/** One key's elements and reads, built by `collect`. */
interface KeyData {
  values: Value[];
  addInv: IntList;
  addAck: IntList;
  addOutcome: IntList;
  /** The earliest completion (position) of a read that showed the element; -1 when none did. */
  seenComp: IntList;
  lastRead: IntList;
  /** Where the element stood in its last read's array. */
  posInLast: IntList;
  count: IntList;
  readInv: IntList;
  readComp: IntList;
  /** Element ids of each read, concatenated; readStart[r] is where read r's begin. */
  occ: IntList;
  readStart: IntList;
}

function newKeyData(): KeyData {
  const l = () => new IntList();
  return {
    ...{ values: [], addInv: l(), addAck: l(), addOutcome: l(), seenComp: l(), lastRead: l() },
    posInLast: l(),
    ...{ count: l(), readInv: l(), readComp: l(), occ: l(), readStart: l() },
  };
}

/** Element identity: primitives as themselves, anything else by its JSON. */
const identity = (e: Value): unknown => (typeof e === 'object' && e !== null ? JSON.stringify(e) : e);

function idOf(d: KeyData, ids: Map<unknown, number>, e: Value): number {
  const k = identity(e);
  let id = ids.get(k);
  if (id !== undefined) return id;
  id = d.values.length;
  ids.set(k, id);
  d.values.push(e);
  d.addInv.push(-1);
  d.addAck.push(-1);
  d.seenComp.push(-1);
  d.lastRead.push(-1);
  d.posInLast.push(-1);
  d.addOutcome.push(0);
  d.count.push(0);
  return id;
}

/**
 * A read's elements as ids. Successive reads of a set mostly list the same elements in the same
 * order, so each element is first compared with the one after the previous match in the
 * previous read (a merge); only a mismatch costs a map lookup, which also re-aligns the merge.
 */
class ReadDecoder {
  private prev: readonly Value[] = [];
  private prevIds = new Int32Array(16);
  private curIds = new Int32Array(16);

  constructor(
    private readonly d: KeyData,
    private readonly ids: Map<unknown, number>,
  ) {}

  decode(value: readonly Value[], r: number, c: number): void {
    const d = this.d;
    if (this.curIds.length < value.length) this.curIds = new Int32Array(value.length * 2);
    const { prev, prevIds, curIds } = this;
    let j = 0;
    for (let i = 0; i < value.length; i++) {
      const e = value[i]!;
      let id: number;
      if (j < prev.length && prev[j] === e) id = prevIds[j++]!;
      else {
        id = idOf(d, this.ids, e);
        if (d.lastRead.data[id] === r - 1) j = d.posInLast.data[id]! + 1;
      }
      curIds[i] = id;
      if (d.lastRead.data[id] === r) continue; // listed twice in one read
      // Reads are in invocation order, not completion order: keep the earliest completion.
      if (d.seenComp.data[id]! < 0 || c < d.seenComp.data[id]!) d.seenComp.data[id] = c;
      d.lastRead.data[id] = r;
      d.posInLast.data[id] = i;
      d.count.data[id]!++;
      d.occ.push(id);
    }
    this.prev = value;
    this.prevIds = curIds;
    this.curIds = prevIds;
  }
}

/** One pass over a key's invocations: elements, their adds, and the reads as element-id lists. */
function collect(ops: readonly Op[], pairing: Pairing, invokes: Int32Array, names: Required<SetOptions>) {
  const d = newKeyData();
  const ids = new Map<unknown, number>();
  const decoder = new ReadDecoder(d, ids);
  let malformed = 0;
  for (let i = 0; i < invokes.length; i++) {
    const p = invokes[i]!;
    const op = ops[p]!;
    const c = pairing.completion[p]!;
    const o = pairing.outcome[p]!;
    if (op.f === names.add) {
      const id = idOf(d, ids, op.value);
      if (d.addInv.data[id]! < 0) d.addInv.data[id] = p;
      // An element added twice: the best outcome counts (ok over info over fail).
      if (o === OK && d.addOutcome.data[id] !== OK) d.addAck.data[id] = c;
      if (d.addOutcome.data[id] === 0 || o === OK || (o !== FAIL && d.addOutcome.data[id] === FAIL)) {
        d.addOutcome.data[id] = o;
      }
    } else if (op.f === names.read && o === OK) {
      const value = ops[c]!.value;
      if (value !== null && !Array.isArray(value)) {
        malformed++;
        continue;
      }
      const r = d.readInv.length;
      d.readInv.push(p);
      d.readComp.push(c);
      d.readStart.push(d.occ.length);
      decoder.decode(value ?? [], r, c);
    }
  }
  d.readStart.push(d.occ.length);
  return { d, malformed };
}

/** Each element's reads, ascending: the transpose of the reads' element lists. */
function readsByElement(d: KeyData): { start: Int32Array; reads: Int32Array } {
  const n = d.values.length;
  const start = new Int32Array(n + 1);
  for (let id = 0; id < n; id++) start[id + 1] = start[id]! + d.count.data[id]!;
  const fill = start.slice(0, n);
  const reads = new Int32Array(d.occ.length);
  const R = d.readInv.length;
  for (let r = 0; r < R; r++) {
    for (let j = d.readStart.data[r]!; j < d.readStart.data[r + 1]!; j++) reads[fill[d.occ.data[j]!]!++] = r;
  }
  return { start, reads };
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

interface Accumulator {
  counts: SetCounts;
  firstSeen: Float64Array;
  firstSeenCount: number;
  stale: Float64Array;
  staleCount: number;
}

/** An element's evidence, built only for the few elements a result describes. */
function evidenceOf(
  ops: readonly Op[],
  key: Key | undefined,
  d: KeyData,
  id: number,
  outcome: SetOutcome,
  known: number,
  lastAbsent: number,
): SetElementEvidence {
  const at = (p: number) => (p >= 0 && p < ops.length ? ops[p]!.index : null);
  const lastPresent = d.lastRead.data[id]!;
  return {
    key,
    element: d.values[id]!,
    outcome,
    addIndex: at(d.addInv.data[id]!),
    ackIndex: at(d.addAck.data[id]!),
    knownIndex: outcome === 'unexpected' ? null : at(known),
    lastSeenIndex:
      outcome === 'unexpected'
        ? at(d.seenComp.data[id]!)
        : lastPresent >= 0
          ? at(d.readComp.data[lastPresent]!)
          : null,
    lastMissedIndex: lastAbsent >= 0 ? at(d.readInv.data[lastAbsent]!) : null,
  };
}

function judgeKey(
  ops: readonly Op[],
  time: Float64Array,
  key: Key | undefined,
  d: KeyData,
  acc: Accumulator,
  o: Required<SetOptions>,
) {
  const { start, reads } = readsByElement(d);
  const R = d.readInv.length;
  const readInv = d.readInv.data;
  const c = acc.counts;
  c.reads += R;
  const room = (list: SetElementEvidence[]) => list.length < o.maxEvidence;
  for (let id = 0; id < d.values.length; id++) {
    const addInv = d.addInv.data[id]!;
    const outcome = d.addOutcome.data[id]!;
    const seenComp = d.seenComp.data[id]!;
    const lastPresent = d.lastRead.data[id]!;
    if (addInv >= 0) c.attempted++;
    if (outcome === OK) c.acknowledged++;
    if (addInv < 0 || outcome === FAIL) {
      if (seenComp < 0) continue; // a failed add never seen: as it should be
      c.unexpected++;
      if (room(c.unexpectedElements))
        c.unexpectedElements.push(evidenceOf(ops, key, d, id, 'unexpected', -1, -1));
      continue;
    }
    let known = outcome === OK ? d.addAck.data[id]! : Number.POSITIVE_INFINITY;
    if (seenComp >= 0) {
      known = Math.min(known, seenComp);
      acc.firstSeen[acc.firstSeenCount++] = nsToMs(time[seenComp]! - time[addInv]!);
    }
    if (known === Number.POSITIVE_INFINITY) {
      c.unknown++;
      continue;
    }
    // The last read that began after `known` and does not show the element.
    const j0 = firstReadAfter(readInv, R, known);
    let j = R - 1;
    for (let q = start[id + 1]! - 1; j >= j0 && q >= start[id]! && reads[q] === j; q--) j--;
    const lastAbsent = j >= j0 ? j : -1;
    if (lastPresent < 0 && lastAbsent < 0) c.neverRead++;
    else if (lastAbsent > lastPresent) {
      c.lost++;
      if (!room(c.lostElements)) continue;
      const readsMissing = R - 1 - Math.max(lastPresent, j0 - 1);
      c.lostElements.push({ ...evidenceOf(ops, key, d, id, 'lost', known, lastAbsent), readsMissing });
    } else if (lastAbsent >= 0) {
      c.stale++;
      const staleMs = nsToMs(time[readInv[lastAbsent + 1]!]! - time[known]!);
      acc.stale[acc.staleCount++] = staleMs;
      if (room(c.staleElements))
        c.staleElements.push({ ...evidenceOf(ops, key, d, id, 'stale', known, lastAbsent), staleMs });
    } else c.ok++;
  }
}

/** Invocation positions grouped by key (a counting sort on the key slots), in history order. */
function invokesByKey(ops: readonly Op[], pairing: Pairing): Int32Array[] {
  const k = pairing.keys.length;
  const sizes = new Int32Array(k);
  for (let p = 0; p < ops.length; p++)
    if (ops[p]!.type === 'invoke' && ops[p]!.process !== 'nemesis') sizes[pairing.keySlot[p]!]!++;
  const groups = Array.from({ length: k }, (_, s) => new Int32Array(sizes[s]!));
  const fill = new Int32Array(k);
  for (let p = 0; p < ops.length; p++) {
    if (ops[p]!.type !== 'invoke' || ops[p]!.process === 'nemesis') continue;
    const s = pairing.keySlot[p]!;
    groups[s]![fill[s]!++] = p;
  }
  return groups;
}

export function checkSet(history: History, options: SetOptions = {}): SetResult {
  const o: Required<SetOptions> = {
    add: 'add',
    read: 'read',
    linearizable: false,
    maxEvidence: 20,
    ...options,
  };
  const { ops } = history;
  const pairing = pairEvents(ops);
  const counts: SetCounts = {
    ...{ reads: 0, malformedReads: 0, attempted: 0, acknowledged: 0, ok: 0, stale: 0, lost: 0 },
    ...{
      neverRead: 0,
      unexpected: 0,
      unknown: 0,
      lostElements: [],
      staleElements: [],
      unexpectedElements: [],
    },
  };
  const acc: Accumulator = {
    counts,
    firstSeen: new Float64Array(0),
    firstSeenCount: 0,
    stale: new Float64Array(0),
    staleCount: 0,
  };
  invokesByKey(ops, pairing).forEach((invokes, slot) => {
    const { d, malformed } = collect(ops, pairing, invokes, o);
    counts.malformedReads += malformed;
    acc.firstSeen = grow(acc.firstSeen, acc.firstSeenCount + d.values.length);
    acc.stale = grow(acc.stale, acc.staleCount + d.values.length);
    judgeKey(ops, pairing.time, pairing.keys[slot], d, acc, o);
  });
  const latencyMs = {
    firstSeen: quantiles(acc.firstSeen, acc.firstSeenCount),
    stale: quantiles(acc.stale, acc.staleCount),
  };
  return { checker: 'set', ...verdict(history, counts, o), ...counts, latencyMs };
}

function grow(a: Float64Array, need: number): Float64Array {
  if (a.length >= need) return a;
  const b = new Float64Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

function verdict(
  history: History,
  c: SetCounts,
  o: Required<SetOptions>,
): { valid: Verdict; summary: string } {
  const tally = `${c.attempted} elements added (${c.acknowledged} acknowledged): ${c.ok} ok, ${c.stale} stale, ${c.lost} lost, ${c.neverRead} never read, ${c.unexpected} unexpected`;
  if (!history.realTime)
    return { valid: 'unknown', summary: `not checked: the history has no real-time order; ${tally}` };
  const lost = c.lostElements[0];
  if (lost) {
    const when =
      lost.ackIndex !== null ? `acknowledged at event ${lost.ackIndex}` : `seen at event ${lost.knownIndex}`;
    const summary = `${c.lost} element(s) lost, e.g. ${JSON.stringify(lost.element)} ${when}, missing from the last ${lost.readsMissing} read(s); ${tally}`;
    return { valid: false, summary };
  }
  const unexpected = c.unexpectedElements[0];
  if (unexpected) {
    const summary = `${c.unexpected} element(s) read that were never added, e.g. ${JSON.stringify(unexpected.element)} at event ${unexpected.lastSeenIndex}; ${tally}`;
    return { valid: false, summary };
  }
  if (o.linearizable && c.stale > 0)
    return { valid: false, summary: `${c.stale} element(s) appeared late in a linearizable set; ${tally}` };
  if (c.ok + c.stale === 0)
    return { valid: 'unknown', summary: `no element was read after it was known; ${tally}` };
  return { valid: true, summary: tally };
}

export const setChecker: Checker = {
  name: 'set',
  async check(history, options) {
    return checkSet(history, options as SetOptions);
  },
};
