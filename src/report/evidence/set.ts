/**
 * The set checker's evidence as a person reads it: each lost element with its add (who, where,
 * when it was acknowledged), the last read that showed it and the reads since that miss it;
 * elements read but never added; stale elements with how long they took to show everywhere;
 * the tallies and first-seen latencies. Lists are capped: a 10^6-operation report stays small.
 */
import type { SetElementEvidence, SetResult } from '../../checker/set.js';
import type { Quantiles } from '../../checker/sweep.js';
import type { History, Key, Op } from '../../history/op.js';
import { type AnomalyMark, faultsDuring, type RenderContext } from '../evidence.js';
import { esc, json } from '../html.js';
import {
  capped,
  eachCall,
  eventAt,
  invocationsOf,
  SHOW,
  seconds,
  table,
  timeCell,
  when,
  who,
} from './events.js';

/** Reads that missed a lost element: how many, and the first few and the last one. */
interface Missed {
  count: number;
  reads: Array<{ inv: Op; comp: Op }>;
  /** The invocation of the last read that showed the element, when one did. */
  lastSeenInv: Op | undefined;
}

/** How many of the missing reads a card lists at the start (the last one is added). */
const FIRST_MISSED = 3;

const keyOf = (k: Key | undefined) => (k === undefined ? '' : ` of key ${JSON.stringify(k)}`);

/**
 * The ok reads of the keys with lost elements, in invocation order (one pass over the
 * history), then per element the reads after the later of its becoming known and the last
 * read that showed it: exactly the reads the checker counted as missing it.
 */
export function missedReads(
  history: History,
  lost: readonly SetElementEvidence[],
): Map<SetElementEvidence, Missed> {
  const out = new Map<SetElementEvidence, Missed>();
  if (lost.length === 0) return out;
  const readF = eventAt(history, lost.find((e) => e.lastMissedIndex !== null)?.lastMissedIndex)?.f ?? 'read';
  const byKey = new Map<Key | undefined, Array<{ inv: Op; comp: Op }>>();
  for (const e of lost) byKey.set(e.key, []);
  eachCall(
    history,
    (inv) => inv.f === readF && byKey.has(inv.key),
    (inv, comp) => {
      if (comp.type === 'ok' && (comp.value === null || Array.isArray(comp.value)))
        byKey.get(inv.key)!.push({ inv, comp });
    },
  );
  for (const list of byKey.values()) list.sort((a, b) => a.inv.index - b.inv.index);
  for (const e of lost) {
    const reads = byKey.get(e.key)!;
    const lastSeen = reads.find((r) => r.comp.index === e.lastSeenIndex);
    const after = Math.max(e.knownIndex ?? -1, lastSeen?.inv.index ?? -1);
    const from = firstAfter(reads, after);
    const count = reads.length - from;
    const shown = reads.slice(from, from + FIRST_MISSED);
    if (count > FIRST_MISSED) shown.push(reads[reads.length - 1]!);
    out.set(e, { count, reads: shown, lastSeenInv: lastSeen?.inv });
  }
  return out;
}

function firstAfter(reads: Array<{ inv: Op }>, index: number): number {
  let lo = 0;
  let hi = reads.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (reads[mid]!.inv.index > index) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** "process 2 on n1 added it at 1.234 s; the add was acknowledged at 1.240 s (events 7–9)" */
function addWords(h: History, e: SetElementEvidence): string {
  const add = eventAt(h, e.addIndex);
  const ack = eventAt(h, e.ackIndex);
  if (!add) return 'no add of it was recorded';
  const base = `${who(add)} added it ${when(h, add)}`;
  if (ack) return `${base}; the add was acknowledged ${when(h, ack)} (events ${add.index}–${ack.index})`;
  const seen = eventAt(h, e.knownIndex);
  return `${base} (event ${add.index}) and got no answer, but a read showed it ${when(h, seen)} (event ${e.knownIndex})`;
}

function missedTable(h: History, m: Missed): string {
  const row = (r: { inv: Op; comp: Op }) => [
    esc(r.inv.process),
    esc(r.inv.node ?? r.comp.node ?? ''),
    timeCell(h, r.inv),
    timeCell(h, r.comp),
    esc(Array.isArray(r.comp.value) ? r.comp.value.length : 0),
    `${r.inv.index}–${r.comp.index}`,
  ];
  const rows = m.reads.map(row);
  if (m.count > m.reads.length)
    rows.splice(FIRST_MISSED, 0, ['…', '', '', '', '', `${m.count - m.reads.length} more`]);
  return table('witness', ['process', 'node', 'invoked', 'completed', 'elements read', 'events'], rows);
}

function lostMark(ctx: RenderContext, e: SetElementEvidence, m: Missed | undefined): AnomalyMark {
  const h = ctx.history;
  const el = json(e.element);
  const count = m?.count ?? e.readsMissing ?? 0;
  const first = m?.reads[0];
  const last = m?.reads[m.reads.length - 1];
  const seen = m?.lastSeenInv
    ? `The last read that showed it: ${who(m.lastSeenInv)}, invoked ${when(h, m.lastSeenInv)} (event ${m.lastSeenInv.index}).`
    : 'No read ever showed it.';
  const span = first && last && h.realTime ? ` (${seconds(first.inv.time)}–${seconds(last.comp.time)})` : '';
  const add = eventAt(h, e.addIndex);
  const faults =
    ctx.intervals.length > 0 && add && last
      ? `<p class="faults">Faults active from the add to the last read: ${esc(faultsDuring(ctx.intervals, add.time, last.comp.time).join('; ') || 'none')}</p>`
      : '';
  const html = `<p class="plain">Element ${el}${esc(keyOf(e.key))} was lost: ${esc(addWords(h, e))}. ${esc(seen)} Every one of the ${count} read(s) of its set since${esc(span)} misses it.</p>
${m?.reads.length ? `<p>Reads that missed it:</p>${missedTable(h, m)}` : ''}${faults}`;
  const ack = eventAt(h, e.ackIndex ?? e.knownIndex);
  return {
    checker: 'set',
    title: `lost element ${JSON.stringify(e.element)}`,
    explanation: `Element ${JSON.stringify(e.element)}${keyOf(e.key)}, known since ${when(h, ack)}, is missing from the ${count} read(s) since${span}.`,
    events: [e.addIndex, m?.lastSeenInv?.index, first?.inv.index].filter(
      (x): x is number => typeof x === 'number',
    ),
    ...(e.key === undefined ? {} : { key: e.key }),
    html,
  };
}

function unexpectedMark(ctx: RenderContext, e: SetElementEvidence, readInv: Op | undefined): AnomalyMark {
  const h = ctx.history;
  const read = eventAt(h, e.lastSeenIndex);
  const add = eventAt(h, e.addIndex);
  const addText = add
    ? ` Its add by ${who(add)} ${when(h, add)} (event ${add.index}) failed.`
    : ' No add of it was recorded.';
  const text = `Element ${JSON.stringify(e.element)}${keyOf(e.key)} was read but never added: ${who(readInv ?? read)} read it ${when(h, read)} (event ${e.lastSeenIndex}).${addText}`;
  return {
    checker: 'set',
    title: `unexpected element ${JSON.stringify(e.element)}`,
    explanation: text,
    events: [readInv?.index, add?.index].filter((x): x is number => typeof x === 'number'),
    ...(e.key === undefined ? {} : { key: e.key }),
    html: `<p class="plain">${esc(text)}</p>`,
  };
}

/** Stale elements are anomalies only when they made the verdict (a linearizable set). */
function staleMark(ctx: RenderContext, e: SetElementEvidence): AnomalyMark {
  const h = ctx.history;
  const known = eventAt(h, e.knownIndex);
  const missed = eventAt(h, e.lastMissedIndex);
  const text = `Element ${JSON.stringify(e.element)}${keyOf(e.key)} was known ${when(h, known)}, yet a read by ${who(missed)} invoked ${when(h, missed)} (event ${e.lastMissedIndex}) missed it; every read showed it only ${e.staleMs ?? '?'} ms after it was known.`;
  return {
    checker: 'set',
    title: `stale element ${JSON.stringify(e.element)}`,
    explanation: text,
    events: [e.addIndex, e.lastMissedIndex].filter((x): x is number => typeof x === 'number'),
    ...(e.key === undefined ? {} : { key: e.key }),
    html: `<p class="plain">${esc(text)}</p>`,
  };
}

export function setMarks(r: SetResult, ctx: RenderContext): AnomalyMark[] {
  const lost = r.lostElements ?? [];
  const missed = missedReads(ctx.history, lost);
  const unexpected = r.unexpectedElements ?? [];
  const invs = invocationsOf(
    ctx.history,
    new Set(unexpected.flatMap((e) => (e.lastSeenIndex === null ? [] : [e.lastSeenIndex]))),
  );
  const marks = [
    ...lost.map((e) => lostMark(ctx, e, missed.get(e))),
    ...unexpected.map((e) => unexpectedMark(ctx, e, invs.get(e.lastSeenIndex ?? -1))),
  ];
  if (marks.length === 0 && r.valid === false)
    marks.push(...(r.staleElements ?? []).map((e) => staleMark(ctx, e)));
  return marks;
}

function latencyRows(r: SetResult): string {
  const q = (name: string, x: Quantiles | null | undefined) =>
    x ? [[esc(name), esc(x.count), esc(x.p50), esc(x.p95), esc(x.max)]] : [];
  const rows = [
    ...q('first seen (add invoked → first read showing it)', r.latencyMs?.firstSeen),
    ...q('stale (known → every read shows it)', r.latencyMs?.stale),
  ];
  return rows.length ? table('counts', ['latency', 'elements', 'p50 ms', 'p95 ms', 'max ms'], rows) : '';
}

function elementRows(list: readonly SetElementEvidence[], cells: (e: SetElementEvidence) => string[]) {
  return list.map((e) => [json(e.key ?? null), json(e.element), ...cells(e)]);
}

/** The tallies, the latencies, and every described element in a short table per outcome. */
export function setDetails(r: SetResult, ctx: RenderContext): string {
  if (typeof r.attempted !== 'number') return ''; // not a set checker's result: the JSON shows it
  const h = ctx.history;
  const parts = [
    `<p>${esc(r.attempted)} elements added (${esc(r.acknowledged)} acknowledged) and ${esc(r.reads)} reads: <b>${esc(r.lost)} lost</b>, ${esc(r.unexpected)} unexpected, ${esc(r.stale)} stale, ${esc(r.ok)} ok, ${esc(r.neverRead)} never read (no read began after they were known), ${esc(r.unknown)} of unknown fate (their adds got no answer and no read showed them)${r.malformedReads ? `; ${esc(r.malformedReads)} reads whose value was not a list were left out` : ''}.</p>`,
    latencyRows(r),
  ];
  const section = (
    list: readonly SetElementEvidence[],
    total: number,
    what: string,
    intro: string,
    head: string[],
    cells: (e: SetElementEvidence) => string[],
  ) => {
    const { shown, more } = capped(list, total, SHOW, what);
    if (shown.length)
      parts.push(
        `<p>${intro}</p>`,
        table('witness', ['key', 'element', ...head], elementRows(shown, cells)),
        more,
      );
  };
  section(
    r.lostElements ?? [],
    r.lost,
    'lost elements',
    'Lost elements (acknowledged or seen, then missing from every read since):',
    ['added by', 'add invoked', 'acknowledged', 'reads missing it', 'add event'],
    (e) => {
      const add = eventAt(h, e.addIndex);
      return [
        esc(who(add)),
        timeCell(h, add),
        timeCell(h, eventAt(h, e.ackIndex)),
        esc(e.readsMissing ?? ''),
        esc(e.addIndex ?? ''),
      ];
    },
  );
  section(
    r.unexpectedElements ?? [],
    r.unexpected,
    'unexpected elements',
    'Elements read but never added (or whose add failed):',
    ['first read at', 'event'],
    (e) => [timeCell(h, eventAt(h, e.lastSeenIndex)), esc(e.lastSeenIndex ?? '')],
  );
  section(
    r.staleElements ?? [],
    r.stale,
    'stale elements',
    'Stale elements (shown by every read only some time after they were known):',
    ['known at', 'stale for ms', 'last read missing it (event)'],
    (e) => [timeCell(h, eventAt(h, e.knownIndex)), esc(e.staleMs ?? ''), esc(e.lastMissedIndex ?? '')],
  );
  return parts.join('\n');
}
