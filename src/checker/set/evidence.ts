/**
 * Evidence and summary: the tallies, latency samples and element descriptions a set check
 * accumulates over its keys, and the verdict with its one-line summary.
 */
import type { History, Key, Op } from '../../history/op.js';
import { nsToMs, quantiles } from '../sweep.js';
import type { Verdict } from '../types.js';
import type { KeyData } from './elements.js';
import type { SetCounts, SetElementEvidence, SetOptions, SetOutcome, SetResult } from './types.js';

export interface Tally {
  counts: SetCounts;
  maxEvidence: number;
  /** At most one sample per add: sized once (a check's big allocations are few). */
  firstSeen: Float64Array;
  firstSeenCount: number;
  stale: Float64Array;
  staleCount: number;
}

export function tally(adds: number, maxEvidence: number): Tally {
  const counts: SetCounts = {
    ...{ reads: 0, malformedReads: 0, attempted: 0, acknowledged: 0, ok: 0, stale: 0, lost: 0 },
    ...{ neverRead: 0, unexpected: 0, unknown: 0 },
    ...{ lostElements: [], staleElements: [], unexpectedElements: [] },
  };
  const firstSeen = new Float64Array(adds);
  return { counts, maxEvidence, firstSeen, firstSeenCount: 0, stale: new Float64Array(16), staleCount: 0 };
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
  const lastPresent = d.lastRead[id]!;
  return {
    key,
    element: d.values[id]!,
    outcome,
    addIndex: at(d.addInv[id]!),
    ackIndex: at(d.addAck[id]!),
    knownIndex: outcome === 'unexpected' ? null : at(known),
    lastSeenIndex:
      outcome === 'unexpected' ? at(d.seenComp[id]!) : lastPresent >= 0 ? at(d.readComp[lastPresent]!) : null,
    lastMissedIndex: lastAbsent >= 0 ? at(d.readInv[lastAbsent]!) : null,
  };
}

/**
 * Counts element `id` of `d` under `outcome` and describes it while there is room. `known` is
 * the position where it became known, `lastAbsent` the last read after that missing it (-1:
 * none), `j0` the first read that began after `known`.
 */
export function record(
  t: Tally,
  ops: readonly Op[],
  key: Key | undefined,
  d: KeyData,
  id: number,
  outcome: SetOutcome,
  known: number,
  lastAbsent: number,
  j0: number,
): void {
  const c = t.counts;
  if (outcome === 'ok') c.ok++;
  else if (outcome === 'never-read') c.neverRead++;
  else if (outcome === 'unexpected') {
    c.unexpected++;
    if (c.unexpectedElements.length < t.maxEvidence)
      c.unexpectedElements.push(evidenceOf(ops, key, d, id, outcome, known, lastAbsent));
  } else if (outcome === 'lost') {
    c.lost++;
    const readsMissing = d.reads - 1 - Math.max(d.lastRead[id]!, j0 - 1);
    if (c.lostElements.length < t.maxEvidence)
      c.lostElements.push({ ...evidenceOf(ops, key, d, id, outcome, known, lastAbsent), readsMissing });
  } else {
    c.stale++;
    // From known to the start of the first read after which every read shows it.
    const staleMs = nsToMs(ops[d.readInv[lastAbsent + 1]!]!.time - ops[known]!.time);
    if (t.staleCount === t.stale.length) t.stale = grown(t.stale);
    t.stale[t.staleCount++] = staleMs;
    if (c.staleElements.length < t.maxEvidence)
      c.staleElements.push({ ...evidenceOf(ops, key, d, id, outcome, known, lastAbsent), staleMs });
  }
}

function grown(a: Float64Array): Float64Array {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}

/** The result of a check whose keys have all been judged into `t`. */
export function result(history: History, t: Tally, o: Required<SetOptions>): SetResult {
  const latencyMs = {
    firstSeen: quantiles(t.firstSeen, t.firstSeenCount),
    stale: quantiles(t.stale, t.staleCount),
  };
  return { checker: 'set', ...verdict(history, t.counts, o), ...t.counts, latencyMs };
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
