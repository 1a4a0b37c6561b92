/**
 * The set, counter and causal evidence in the report, rendered from real checker results on
 * small constructed histories: plain words with processes, nodes and times, anomaly marks for
 * the timeline (invocation events), and long lists capped.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCausal } from '../../src/checker/causal/index.js';
import { checkCounter } from '../../src/checker/counter.js';
import { checkSet } from '../../src/checker/set.js';
import type { History, Key, Op, OpType, Value } from '../../src/history/op.js';
import { nemesisIntervals } from '../../src/nemesis/record.js';
import { allAnomalies, renderCheckerSection } from '../../src/report/checkers.js';
import { missedReads } from '../../src/report/evidence/set.js';
import { faultline } from '../cli/cli.js';

type Ev = [process: number, type: OpType, f: string, value: Value, key: Key, node?: string];

/** A history from events in order, 100 ms apart (so times read 0.100 s, 0.200 s, ...). */
function history(events: Ev[]): History {
  const ops: Op[] = events.map(([process, type, f, value, key, node], index) => ({
    index,
    time: index * 100_000_000,
    process,
    type,
    f,
    value,
    key,
    ...(node ? { node } : {}),
  }));
  return { ops, realTime: true };
}

/** What a person reads: tags dropped, entities decoded, spaces collapsed. */
const text = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

describe('set evidence', () => {
  // Element 1 is acknowledged, read once, then missing from the next two reads: lost.
  // Element 2 appears late (stale); element 9 was never added (unexpected).
  const h = history([
    [0, 'invoke', 'add', 1, 'a', 'n1'],
    [0, 'ok', 'add', 1, 'a', 'n1'],
    [1, 'invoke', 'read', null, 'a', 'n2'],
    [1, 'ok', 'read', [1], 'a', 'n2'],
    [0, 'invoke', 'add', 2, 'a', 'n1'],
    [0, 'ok', 'add', 2, 'a', 'n1'],
    [1, 'invoke', 'read', null, 'a', 'n2'],
    [1, 'ok', 'read', [9], 'a', 'n2'],
    [2, 'invoke', 'read', null, 'a', 'n3'],
    [2, 'ok', 'read', [2], 'a', 'n3'],
  ]);
  const result = checkSet(h);
  const ctx = { history: h, intervals: [] };

  it('names the lost element, its add, the last read that showed it and the reads that miss it', () => {
    expect(result.valid).toBe(false);
    expect(result.lost).toBe(1);
    const marks = allAnomalies({ set: result }, ctx);
    const lost = marks.find((m) => m.title === 'lost element 1')!;
    expect(text(lost.html)).toContain(
      'Element 1 of key "a" was lost: process 0 on n1 added it at 0.000 s; the add was acknowledged at 0.100 s (events 0–1). The last read that showed it: process 1 on n2, invoked at 0.200 s (event 2). Every one of the 2 read(s) of its set since (0.600 s–0.900 s) misses it.',
    );
    // The add, the last read showing it, the first read missing it: invocations, for the timeline.
    expect(lost.events).toEqual([0, 2, 6]);
    expect(lost.key).toBe('a');
    const missed = missedReads(h, result.lostElements).get(result.lostElements[0]!)!;
    expect(missed.count).toBe(result.lostElements[0]!.readsMissing);
    expect(missed.reads.map((r) => [r.inv.node, r.comp.index])).toEqual([
      ['n2', 7],
      ['n3', 9],
    ]);
  });

  it('names the unexpected element and lists the tallies and latencies', () => {
    const marks = allAnomalies({ set: result }, ctx);
    const unexpected = marks.find((m) => m.title === 'unexpected element 9')!;
    expect(unexpected.explanation).toBe(
      'Element 9 of key "a" was read but never added: process 1 on n2 read it at 0.700 s (event 7). No add of it was recorded.',
    );
    expect(unexpected.events).toEqual([6]);
    const html = renderCheckerSection('set', result, ctx);
    expect(text(html)).toContain(
      '2 elements added (2 acknowledged) and 3 reads: 1 lost , 1 unexpected, 1 stale',
    );
    expect(text(html)).toContain('first seen (add invoked → first read showing it)');
    expect(html).toContain('<td>&quot;a&quot;</td><td>2</td><td>0.500 s</td>'); // stale element 2, known at its ack
  });

  it('names the faults active from the add to the last read that missed it', () => {
    const partition: Op = {
      index: 3,
      time: 350_000_000,
      process: 'nemesis',
      type: 'info',
      f: 'partition',
      value: { fault: 1, kind: 'halves', grudge: { n1: ['n2'], n2: ['n1'] }, nodes: ['n1', 'n2'] },
    };
    const ops = [...h.ops.slice(0, 3), partition, ...h.ops.slice(3)].map((o, index) => ({ ...o, index }));
    const withFault: History = { ops, realTime: true };
    const marks = allAnomalies(
      { set: checkSet(withFault) },
      { history: withFault, intervals: nemesisIntervals(ops) },
    );
    expect(text(marks[0]!.html)).toContain(
      'Faults active from the add to the last read: partition halves on n1, n2 (0.350 s–end)',
    );
  });

  it('faultline check --checker set --report writes the lost element in words', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-set-report-'));
    writeFileSync(join(dir, 'h.jsonl'), h.ops.map((o) => JSON.stringify(o)).join('\n'));
    const r = await faultline(
      'check',
      join(dir, 'h.jsonl'),
      '--checker',
      'set',
      '--report',
      join(dir, 'r.html'),
    );
    expect(r.code).toBe(1);
    const page = text(readFileSync(join(dir, 'r.html'), 'utf8'));
    expect(page).toContain('1. lost element 1 (set, key "a")');
    expect(page).toContain('Element 1 of key "a" was lost: process 0 on n1 added it at 0.000 s');
  });

  it('caps long lists: 30 lost elements show 20 and count the rest', () => {
    const events: Ev[] = [];
    for (let e = 0; e < 30; e++) events.push([0, 'invoke', 'add', e, 'k'], [0, 'ok', 'add', e, 'k']);
    events.push([1, 'invoke', 'read', null, 'k'], [1, 'ok', 'read', [], 'k']);
    const big = history(events);
    const r = checkSet(big);
    expect(r.lost).toBe(30);
    const html = renderCheckerSection('set', r, { history: big, intervals: [] });
    expect(html).toContain('…and 10 more lost elements.');
    expect(allAnomalies({ set: r }, { history: big, intervals: [] })).toHaveLength(20);
  });
});

describe('counter evidence', () => {
  const h = history([
    [0, 'invoke', 'incr', 5, 'c', 'n1'],
    [0, 'ok', 'incr', 5, 'c', 'n1'],
    [1, 'invoke', 'read', null, 'c', 'n2'],
    [1, 'ok', 'read', 3, 'c', 'n2'],
    [0, 'invoke', 'incr', 1, 'c', 'n1'],
    [1, 'invoke', 'read', null, 'c', 'n3'],
    [1, 'ok', 'read', 9, 'c', 'n3'],
    [0, 'ok', 'incr', 1, 'c', 'n1'],
  ]);
  const result = checkCounter(h);
  const ctx = { history: h, intervals: [] };

  it('says which reads fell outside [acknowledged, attempted], by whom, where, when, and what it means', () => {
    expect(result.outOfBounds).toBe(2);
    const [below, above] = allAnomalies({ counter: result }, ctx);
    expect(below!.title).toBe('lost increments: read 3 below 5');
    expect(below!.explanation).toBe(
      'process 1 on n2 read 3 from counter "c" at 0.300 s (events 2–3), outside the bounds [5, 5] then: lost increments: the increments acknowledged before the read began bring the counter to at least 5, so at least 2 went missing.',
    );
    expect(below!.events).toEqual([2]);
    expect(above!.title).toBe('double-applied or never-attempted increments: read 9 above 6');
    expect(above!.explanation).toContain('process 1 on n3 read 9 from counter "c" at 0.600 s');
    expect(above!.explanation).toContain(
      'at least 3 came from nowhere (an increment applied twice, or one never asked for)',
    );
    const html = renderCheckerSection('counter', result, ctx);
    expect(text(html)).toContain('2 reads, 2 out of bounds ; 2 increments: 2 acknowledged, 0 failed');
    expect(html).toContain('<td>9</td><td>[5, 6]</td><td>double-applied or never-attempted increments</td>');
  });
});

describe('causal evidence', () => {
  // Session 0 writes x=1 then x=2 on n1, then reads x on n2 and sees 1 (read-your-writes);
  // session 1 reads x=2 then x=1 (monotonic reads).
  const h = history([
    [0, 'invoke', 'write', 1, 'x', 'n1'],
    [0, 'ok', 'write', 1, 'x', 'n1'],
    [0, 'invoke', 'write', 2, 'x', 'n1'],
    [0, 'ok', 'write', 2, 'x', 'n1'],
    [1, 'invoke', 'read', null, 'x', 'n1'],
    [1, 'ok', 'read', 2, 'x', 'n1'],
    [0, 'invoke', 'read', null, 'x', 'n2'],
    [0, 'ok', 'read', 1, 'x', 'n2'],
    [1, 'invoke', 'read', null, 'x', 'n3'],
    [1, 'ok', 'read', 1, 'x', 'n3'],
  ]);
  const result = checkCausal(h, { model: 'CC' });
  const ctx = { history: h, intervals: [] };

  it('says which session saw what, when and where, and which guarantee that breaks', () => {
    expect(result.valid).toBe(false);
    const marks = allAnomalies({ causal: result }, ctx);
    const own = marks.find((m) => m.explanation.startsWith('Session 0'))!;
    expect(own.title).toBe('session 0 read an overwritten value (WriteCORead; violates CC, CCv, CM)');
    expect(own.explanation).toBe(
      'Session 0 wrote x=2 at 0.200 s on n1, then read x at 0.600 s on n2 and saw 1, an older value (written by session 0 at 0.000 s on n1).',
    );
    expect(text(own.html)).toContain(
      'read-your-writes (a session sees its own earlier writes): session 0 wrote x=2 at 0.200 s on n1, then read x and saw 1 at 0.600 s on n2.',
    );
    const other = marks.find((m) => m.explanation.startsWith('Session 1'))!;
    expect(other.explanation).toContain('Session 1 read x at 0.800 s on n3 and saw 1 (written by session 0');
    expect(text(other.html)).toContain(
      'monotonic-reads (a session never sees a value older than one it has already seen): session 1 read x and saw 2 at 0.400 s on n1, then read x and saw 1 at 0.800 s on n3.',
    );
    expect(other.events).toContain(8);
  });

  it('leaves out the node and time columns of a history without them (sessions, no real time)', () => {
    const bare: History = {
      realTime: false,
      ops: h.ops.map(({ node: _node, ...o }) => ({ ...o })),
    };
    const [mark] = allAnomalies(
      { causal: checkCausal(bare, { model: 'CC' }) },
      { history: bare, intervals: [] },
    );
    expect(mark!.html).toContain('<tr><th>session</th><th>operation</th><th>events</th></tr>');
    expect(mark!.explanation).toMatch(
      /^Session 0 wrote x=2 at event 2, then read x at event 6 and saw 1, an older value/,
    );
  });

  it('lists the guarantees broken with the sessions, and who read what', () => {
    const html = renderCheckerSection('causal', result, ctx);
    expect(text(html)).toContain('read-your-writes a session sees its own earlier writes 1 0');
    expect(text(html)).toContain(
      'monotonic-reads a session never sees a value older than one it has already seen 1 1',
    );
    expect(html).toContain('<td>1</td><td>n3</td><td>x → 1</td><td>x=2 (session 0)</td>');
  });
});
