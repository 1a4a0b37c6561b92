/**
 * The counter checker's evidence as a person reads it: each read outside its bounds with the
 * value read, the bounds [acknowledged, attempted] when it ran, who read it, where and when,
 * and in words what it means (lost increments below, double-applied or never-attempted ones
 * above); the tallies and each key's last read.
 */
import type { CounterReadEvidence, CounterResult } from '../../checker/counter.js';
import type { Key } from '../../history/op.js';
import { type AnomalyMark, faultsDuring, type RenderContext } from '../evidence.js';
import { esc, json } from '../html.js';
import { capped, eventAt, SHOW, table, timeCell, when, who } from './events.js';

const keyOf = (k: Key | undefined) => (k === undefined ? 'the counter' : `counter ${JSON.stringify(k)}`);

/** What an out-of-bounds read means, in words. */
export function counterWords(e: CounterReadEvidence): { title: string; meaning: string } {
  const v = e.value;
  if (e.problem === 'below' && typeof v === 'number')
    return {
      title: `lost increments: read ${v} below ${e.lower}`,
      meaning: `lost increments: the increments acknowledged before the read began bring the counter to at least ${e.lower}, so at least ${e.lower - v} went missing`,
    };
  if (e.problem === 'above' && typeof v === 'number')
    return {
      title: `double-applied or never-attempted increments: read ${v} above ${e.upper}`,
      meaning: `double-applied or never-attempted increments: every increment attempted before the read ended brings the counter to at most ${e.upper}, so at least ${v - e.upper} came from nowhere (an increment applied twice, or one never asked for)`,
    };
  return {
    title: 'read a value that is not a number',
    meaning: 'the read returned something that is not a number',
  };
}

function counterMark(ctx: RenderContext, e: CounterReadEvidence): AnomalyMark {
  const h = ctx.history;
  const inv = eventAt(h, e.invokeIndex);
  const comp = eventAt(h, e.completeIndex);
  const { title, meaning } = counterWords(e);
  const text = `${who(inv ?? comp)} read ${JSON.stringify(e.value)} from ${keyOf(e.key)} ${when(h, comp)} (events ${e.invokeIndex}–${e.completeIndex}), outside the bounds [${e.lower}, ${e.upper}] then: ${meaning}.`;
  const row = [
    esc(e.process),
    esc(inv?.node ?? comp?.node ?? ''),
    json(e.value),
    `[${esc(e.lower)}, ${esc(e.upper)}]`,
    timeCell(h, inv),
    timeCell(h, comp),
    `${e.invokeIndex}–${e.completeIndex}`,
  ];
  const faults =
    ctx.intervals.length && inv && comp
      ? `<p class="faults">Faults active then: ${esc(faultsDuring(ctx.intervals, inv.time, comp.time).join('; ') || 'none')}</p>`
      : '';
  return {
    checker: 'counter',
    title,
    explanation: text,
    events: [e.invokeIndex],
    ...(e.key === undefined ? {} : { key: e.key }),
    html: `<p class="plain">${esc(text)}</p>
<p class="muted">Bounds: at least the increments acknowledged before the read began (and decrements attempted), at most every increment attempted before it ended (and decrements acknowledged).</p>
${table('witness', ['process', 'node', 'read', 'bounds', 'invoked', 'completed', 'events'], [row])}${faults}`,
  };
}

export const counterMarks = (r: CounterResult, ctx: RenderContext): AnomalyMark[] =>
  (r.errors ?? []).map((e) => counterMark(ctx, e));

/** The tallies, every described read outside its bounds, and each key's last read. */
export function counterDetails(r: CounterResult, ctx: RenderContext): string {
  if (typeof r.reads !== 'number') return ''; // not a counter checker's result: the JSON shows it
  const h = ctx.history;
  const inc = r.increments ?? { attempted: 0, ok: 0, fail: 0, info: 0 };
  const parts = [
    `<p>${esc(r.reads)} reads, <b>${esc(r.outOfBounds)} out of bounds</b>; ${esc(inc.ok + inc.fail + inc.info)} increments: ${esc(inc.ok)} acknowledged, ${esc(inc.fail)} failed (never applied), ${esc(inc.info)} of unknown outcome (may have applied).</p>`,
  ];
  const errors = capped(r.errors ?? [], r.outOfBounds, SHOW, 'reads out of bounds');
  if (errors.shown.length) {
    const rows = errors.shown.map((e) => {
      const comp = eventAt(h, e.completeIndex);
      return [
        json(e.key ?? null),
        esc(`process ${e.process}${comp?.node ? ` on ${comp.node}` : ''}`),
        json(e.value),
        `[${esc(e.lower)}, ${esc(e.upper)}]`,
        esc(counterWords(e).meaning.split(':')[0]!),
        timeCell(h, comp),
        `${e.invokeIndex}–${e.completeIndex}`,
      ];
    });
    parts.push(
      '<p>Reads outside their bounds [acknowledged, attempted]:</p>',
      table('witness', ['key', 'read by', 'value', 'bounds', 'meaning', 'completed', 'events'], rows),
      errors.more,
    );
  }
  const final = capped(r.final ?? [], (r.final ?? []).length, SHOW, 'keys');
  if (final.shown.length) {
    const rows = final.shown.map((f) => [
      json(f.key ?? null),
      esc(f.value),
      `[${esc(f.lower)}, ${esc(f.upper)}]`,
    ]);
    parts.push('<p>Each key’s last read:</p>', table('counts', ['key', 'value', 'bounds'], rows), final.more);
  }
  return parts.join('\n');
}
