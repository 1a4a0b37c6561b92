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
 * read past the ones that show it: O(operations + element occurrences in reads). The event
 * objects are walked in order, once (pairing) and once more (classifying adds and reads, and
 * grouping them by key into columns); the per-key passes then read those columns and touch an
 * event only for a read's value. Per-key buffers are reused from key to key, and the big typed
 * arrays are few and sized once, so a check of 10^6 operations allocates little (each full
 * garbage collection of a history that size costs ~0.5 s).
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

/** Empties `d` for the next key, keeping its lists' capacity (no allocation per key). */
function clearKeyData(d: KeyData): void {
  d.values = [];
  for (const list of [d.addInv, d.addAck, d.addOutcome, d.seenComp, d.lastRead, d.posInLast]) list.length = 0;
  for (const list of [d.count, d.readInv, d.readComp, d.occ, d.readStart]) list.length = 0;
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

  /** Forgets the previous read (a new key begins). */
  reset(): void {
    this.prev = [];
  }

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

/** Buffers of `readsByElement`, grown as needed and reused from key to key. */
interface Transpose {
  start: Int32Array;
  fill: Int32Array;
  reads: Int32Array;
}

/** What one key's pass reuses from key to key: its data, the element ids, the read decoder. */
interface KeyScratch {
  d: KeyData;
  ids: Map<unknown, number>;
  decoder: ReadDecoder;
  transpose: Transpose;
}

function keyScratch(): KeyScratch {
  const d = newKeyData();
  const ids = new Map<unknown, number>();
  const transpose = { start: new Int32Array(1), fill: new Int32Array(0), reads: new Int32Array(0) };
  return { d, ids, decoder: new ReadDecoder(d, ids), transpose };
}

/**
 * One pass over a key's invocations (group `slot` of the columns): elements, their adds, and
 * the reads as element-id lists. Touches no event but a read's completion (and an add whose
 * element is not a number).
 */
function collect(ops: readonly Op[], g: Grouped, slot: number, scratch: KeyScratch) {
  const { d, ids, decoder } = scratch;
  clearKeyData(d);
  ids.clear();
  decoder.reset();
  let malformed = 0;
  for (let j = g.start[slot]!; j < g.start[slot + 1]!; j++) {
    const p = g.pos[j]!;
    const c = g.comp[j]!;
    const o = g.outcome[j]!;
    const kind = g.kind[j]!;
    if (kind !== READ) {
      const id = idOf(d, ids, kind === ADD ? g.element[j]! : ops[p]!.value);
      if (d.addInv.data[id]! < 0) d.addInv.data[id] = p;
      // An element added twice: the best outcome counts (ok over info over fail).
      if (o === OK && d.addOutcome.data[id] !== OK) d.addAck.data[id] = c;
      if (d.addOutcome.data[id] === 0 || o === OK || (o !== FAIL && d.addOutcome.data[id] === FAIL)) {
        d.addOutcome.data[id] = o;
      }
    } else if (o === OK) {
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
  return malformed;
}

/** Each element's reads, ascending: the transpose of the reads' element lists. */
function readsByElement(d: KeyData, t: Transpose): { start: Int32Array; reads: Int32Array } {
  const n = d.values.length;
  if (t.start.length < n + 1) t.start = new Int32Array(2 * n + 1);
  if (t.fill.length < n) t.fill = new Int32Array(2 * n);
  if (t.reads.length < d.occ.length) t.reads = new Int32Array(2 * d.occ.length);
  const { start, fill, reads } = t;
  for (let id = 0; id < n; id++) start[id + 1] = start[id]! + d.count.data[id]!;
  fill.set(start.subarray(0, n));
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
  scratch: KeyScratch,
  acc: Accumulator,
  o: Required<SetOptions>,
) {
  const d = scratch.d;
  const { start, reads } = readsByElement(d, scratch.transpose);
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
      if (acc.staleCount === acc.stale.length) acc.stale = grow(acc.stale, acc.staleCount + 1);
      acc.stale[acc.staleCount++] = staleMs;
      if (room(c.staleElements))
        c.staleElements.push({ ...evidenceOf(ops, key, d, id, 'stale', known, lastAbsent), staleMs });
    } else c.ok++;
  }
}

const ADD = 1;
const READ = 2;
/** An add whose element is not an int32: the event holds it. */
const ADD_OTHER = 3;

/**
 * The client invocations of adds and reads grouped by key (CSR: group s is
 * `start[s]..start[s+1]`), in history order within a group, with what the per-key pass needs
 * copied beside each: so that pass reads these columns in order instead of jumping around the
 * history's events and the pairing's per-position arrays.
 */
interface Grouped {
  start: Int32Array;
  pos: Int32Array;
  comp: Int32Array;
  outcome: Uint8Array;
  kind: Uint8Array;
  /** An add's element when it is an int32 (kind ADD); for ADD_OTHER the event has it. */
  element: Int32Array;
  /** How many adds (a bound on the first-seen samples). */
  adds: number;
}

/** Classifies every event, then groups by key (the passes that touch events: in order, once each). */
function group(ops: readonly Op[], pairing: Pairing, o: Required<SetOptions>): Grouped {
  const n = ops.length;
  const kind = new Uint8Array(n);
  const start = new Int32Array(pairing.keys.length + 1);
  let adds = 0;
  for (let p = 0; p < n; p++) {
    const op = ops[p]!;
    if (op.type !== 'invoke' || op.process === 'nemesis') continue;
    if (op.f === o.add) {
      kind[p] = ADD;
      adds++;
    } else if (op.f === o.read) kind[p] = READ;
    else continue;
    start[pairing.keySlot[p]! + 1]!++;
  }
  for (let s = 0; s + 1 < start.length; s++) start[s + 1]! += start[s]!;
  const m = start[start.length - 1]!;
  const g: Grouped = {
    ...{ start, pos: new Int32Array(m), comp: new Int32Array(m), outcome: new Uint8Array(m) },
    ...{ kind: new Uint8Array(m), element: new Int32Array(m), adds },
  };
  const fill = start.slice(0, -1);
  for (let p = 0; p < n; p++) {
    if (kind[p] === 0) continue;
    const j = fill[pairing.keySlot[p]!]!++;
    g.pos[j] = p;
    g.comp[j] = pairing.completion[p]!;
    g.outcome[j] = pairing.outcome[p]!;
    g.kind[j] = kind[p]!;
    if (kind[p] !== ADD) continue;
    const v = ops[p]!.value;
    if (typeof v === 'number' && (v | 0) === v) g.element[j] = v;
    else g.kind[j] = ADD_OTHER;
  }
  return g;
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
  const grouped = group(ops, pairing, o);
  const acc: Accumulator = {
    counts,
    // At most one sample per add: typed arrays sized once (a check's big allocations are
    // few, which spares the history a full garbage collection).
    firstSeen: new Float64Array(grouped.adds),
    firstSeenCount: 0,
    stale: new Float64Array(16),
    staleCount: 0,
  };
  const scratch = keyScratch();
  for (let slot = 0; slot < pairing.keys.length; slot++) {
    if (grouped.start[slot] === grouped.start[slot + 1]) continue;
    counts.malformedReads += collect(ops, grouped, slot, scratch);
    judgeKey(ops, pairing.time, pairing.keys[slot], scratch, acc, o);
  }
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
