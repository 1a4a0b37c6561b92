/**
 * The causal checker's evidence as a person reads it: each anomaly first as one sentence of
 * who saw what ("session 0 wrote x=2 at 1.2 s on n1, then read x at 1.5 s on n2 and saw 1, an
 * older value"), the witness as a time-ordered table with nodes, and each broken session
 * guarantee with the two operations of the session that relied on it; the checker's own
 * reasoning and edges folded. The details: the verdict per model, the guarantees broken with
 * the sessions that broke them, and a table of which session read what.
 */
import type { Anomaly, CausalResult, SessionGuarantee, WitnessOp } from '../../checker/causal/types.js';
import type { History } from '../../history/op.js';
import type { AnomalyMark, RenderContext } from '../evidence.js';
import { esc, verdictBadge } from '../html.js';
import { capped, eventAt, SHOW, table, timeCell, when } from './events.js';

export const GUARANTEE_MEANING: Record<SessionGuarantee, string> = {
  'read-your-writes': 'a session sees its own earlier writes',
  'monotonic-reads': 'a session never sees a value older than one it has already seen',
  'monotonic-writes': "a session's writes are seen in the order it made them",
  'writes-follow-reads': 'a write made after reading a value is ordered after that value',
};

/** Each pattern in a few plain words, for the anomaly's title. */
const PATTERN_WORDS: Record<Anomaly['pattern'], string> = {
  ThinAirRead: 'read a value nobody wrote',
  AbortedRead: 'read the value of a failed write',
  WriteCOInitRead: 'read the initial value after a write in its past',
  WriteCORead: 'read an overwritten value',
  CyclicCO: 'causal order has a cycle',
  CyclicCF: 'replicas disagree on the order of writes',
  WriteHBInitRead: 'read the initial value after a write it had applied',
  CyclicHB: "a session's view of the writes contradicts itself",
};

/** "at 1.234 s on n2" (the node the history recorded for the operation). */
function atNode(h: History, o: WitnessOp): string {
  const inv = eventAt(h, o.index);
  const node = inv?.node ?? eventAt(h, o.completionIndex)?.node;
  return `${when(h, inv)}${node ? ` on ${node}` : ''}`;
}

/** A key as the sentence names it: `x`, or `key 3` when keys are numbers. */
const k = (o: WitnessOp) => (typeof o.key === 'number' ? `key ${o.key}` : String(o.key));
const v = (o: WitnessOp) => (o.value === null ? 'nothing (the initial value)' : JSON.stringify(o.value));
const kv = (o: WitnessOp) => `${k(o)}=${JSON.stringify(o.value)}`;
/** "wrote x=1" or "read x and saw 1" */
const did = (o: WitnessOp) => (o.f === 'write' ? `wrote ${kv(o)}` : `read ${k(o)} and saw ${v(o)}`);

/** Who saw what, in one or two sentences; undefined for the cycles (their explanation says it). */
export function causalHeadline(h: History, a: Anomaly): string | undefined {
  const [r, w1, w2] = a.ops;
  if (r?.f !== 'read') return undefined;
  const p = r.process;
  const read = `read ${k(r)} ${atNode(h, r)} and saw ${v(r)}`;
  switch (a.pattern) {
    case 'ThinAirRead':
      return `Session ${p} ${read}, a value nobody wrote.`;
    case 'AbortedRead':
      return `Session ${p} ${read}, a value only a failed write wrote${w1 ? ` (session ${w1.process} ${atNode(h, w1)})` : ''}.`;
    case 'WriteCOInitRead':
    case 'WriteHBInitRead':
      if (!w1) return undefined;
      if (w1.process === p && w1.index < r.index)
        return `Session ${p} wrote ${kv(w1)} ${atNode(h, w1)}, then ${read}: it lost its own write.`;
      return `Session ${p} ${read}, although ${kv(w1)}, written by session ${w1.process} ${atNode(h, w1)}, was already in its past.`;
    case 'WriteCORead':
      if (!w1 || !w2) return undefined;
      if (w2.process === p && w2.index < r.index)
        return `Session ${p} wrote ${kv(w2)} ${atNode(h, w2)}, then ${read}, an older value (written by session ${w1.process} ${atNode(h, w1)}).`;
      return `Session ${p} ${read} (written by session ${w1.process} ${atNode(h, w1)}), an older value: ${kv(w2)}, written after it by session ${w2.process} ${atNode(h, w2)}, was already in session ${p}'s past.`;
    default:
      return undefined;
  }
}

/** The witness in time order: who, where, what, when; the anomalous read in bold. */
function storyTable(h: History, a: Anomaly): string {
  const named = a.ops[0]?.f === 'read' && !a.pattern.startsWith('Cyclic') ? a.ops[0].id : -1;
  const ops = [...a.ops].sort((x, y) => x.index - y.index);
  const rows = ops.map((o) => {
    const inv = eventAt(h, o.index);
    const comp = eventAt(h, o.completionIndex);
    return [
      esc(o.process),
      esc(inv?.node ?? comp?.node ?? ''),
      esc(`${did(o)}${o.type === 'ok' ? '' : ` (${o.type})`}`),
      timeCell(h, inv),
      timeCell(h, comp),
      `${o.index}–${o.completionIndex ?? '…'}`,
    ];
  });
  const head = ['session', 'node', 'operation', 'invoked', 'completed', 'events'];
  return table('witness', head, rows, (i) => (ops[i]!.id === named ? 'named' : ''));
}

/** A program-order step's guarantee: into a read from a write is read-your-writes, and so on. */
const guaranteeOf = (from: WitnessOp, to: WitnessOp): SessionGuarantee =>
  to.f === 'read'
    ? from.f === 'write'
      ? 'read-your-writes'
      : 'monotonic-reads'
    : from.f === 'write'
      ? 'monotonic-writes'
      : 'writes-follow-reads';

/** Each broken guarantee with the session's two operations whose order the witness relied on. */
export function guaranteeLines(h: History, a: Anomaly): Array<{ guarantee: SessionGuarantee; text: string }> {
  const byId = new Map(a.ops.map((o) => [o.id, o]));
  const steps = a.edges.flatMap((e) =>
    e.kind === 'po' ? [e] : (e.steps ?? []).filter((s) => s.kind === 'po'),
  );
  const seen = new Set<string>();
  const out: Array<{ guarantee: SessionGuarantee; text: string }> = [];
  for (const s of steps) {
    const from = byId.get(s.from);
    const to = byId.get(s.to);
    if (!from || !to || seen.has(`${s.from}-${s.to}`)) continue;
    seen.add(`${s.from}-${s.to}`);
    const text = `session ${from.process} ${did(from)} ${atNode(h, from)}, then ${did(to)} ${atNode(h, to)}`;
    out.push({ guarantee: guaranteeOf(from, to), text });
  }
  const wanted = a.guarantees;
  return wanted ? out.filter((g) => wanted.includes(g.guarantee)) : out;
}

function causalMark(h: History, a: Anomaly): AnomalyMark {
  const headline = causalHeadline(h, a);
  const lines = guaranteeLines(h, a);
  const guarantees = lines.length
    ? `<p>Session guarantees broken:</p><ul class="guarantees">${lines
        .map(
          (g) =>
            `<li><b>${esc(g.guarantee)}</b> (${esc(GUARANTEE_MEANING[g.guarantee])}): ${esc(g.text)}.</li>`,
        )
        .join('')}</ul>`
    : '';
  const edges = (a.edges ?? [])
    .map((e) => `<li><code>${esc(e.from)} —${esc(e.kind)}→ ${esc(e.to)}</code> ${esc(e.why)}</li>`)
    .join('');
  const reasoning = headline
    ? `<details><summary>The checker's reasoning</summary><p>${esc(a.explanation)}</p>${edges ? `<ul>${edges}</ul>` : ''}</details>`
    : edges
      ? `<details><summary>Edges</summary><ul>${edges}</ul></details>`
      : '';
  return {
    checker: 'causal',
    title: `${a.ops[0]?.f === 'read' && !a.pattern.startsWith('Cyclic') ? `session ${a.ops[0].process} ` : ''}${PATTERN_WORDS[a.pattern] ?? a.pattern} (${a.pattern}; violates ${(a.models ?? []).join(', ')})`,
    explanation: headline ?? a.explanation ?? '',
    events: (a.ops ?? []).map((o) => o.index),
    ...(a.ops[0] ? { key: a.ops[0].key } : {}),
    html: `<p class="plain">${esc(headline ?? a.explanation ?? '')}</p>
<p>The operations involved:</p>${storyTable(h, a)}${guarantees}${reasoning}`,
  };
}

export const causalMarks = (r: CausalResult, ctx: RenderContext): AnomalyMark[] =>
  (r.anomalies ?? []).map((a) => causalMark(ctx.history, { ...a, ops: a.ops ?? [], edges: a.edges ?? [] }));

/** The verdicts per model, the guarantees broken and by which sessions, who read what. */
export function causalDetails(r: CausalResult, ctx: RenderContext): string {
  const h = ctx.history;
  const anomalies = r.anomalies ?? [];
  const parts: string[] = [];
  if (r.models)
    parts.push(
      `<p>${Object.entries(r.models)
        .map(([m, valid]) => `${esc(m)} ${verdictBadge(valid)}`)
        .join(' · ')}</p>`,
    );
  const counted = r.sessionGuarantees ? Object.entries(r.sessionGuarantees).filter(([, n]) => n > 0) : [];
  if (counted.length) {
    const rows = counted.map(([g, n]) => {
      const sessions = [
        ...new Set(
          anomalies
            .filter((a) => a.guarantees?.includes(g as SessionGuarantee))
            .map((a) => a.ops[0]?.process),
        ),
      ].filter((p) => p !== undefined);
      const list = capped(sessions, sessions.length, 10, '');
      return [
        `<b>${esc(g)}</b>`,
        esc(GUARANTEE_MEANING[g as SessionGuarantee] ?? ''),
        esc(n),
        esc(
          `${list.shown.join(', ')}${sessions.length > list.shown.length ? ` and ${sessions.length - list.shown.length} more` : ''}`,
        ),
      ];
    });
    parts.push(
      '<p>Session guarantees broken (counted over the witnessed anomalies):</p>',
      table('counts', ['guarantee', 'meaning', 'anomalies', 'sessions that saw it'], rows),
    );
  }
  const reads = anomalies.filter((a) => a.ops[0]?.f === 'read');
  const shown = capped(reads, reads.length, SHOW, 'anomalies');
  if (shown.shown.length) {
    const rows = shown.shown.map((a) => {
      const [rd, w1, w2] = a.ops;
      const newer = a.pattern === 'WriteCORead' ? w2 : a.pattern.endsWith('InitRead') ? w1 : undefined;
      const inv = eventAt(h, rd!.index);
      return [
        esc(rd!.process),
        esc(inv?.node ?? ''),
        esc(`${k(rd!)} → ${v(rd!)}`),
        newer ? esc(`${kv(newer)} (session ${newer.process})`) : '',
        esc((a.guarantees ?? []).join(', ') || a.pattern),
        timeCell(h, inv),
        esc(rd!.index),
      ];
    });
    parts.push(
      '<p>Who read what:</p>',
      table(
        'witness',
        ['session', 'node', 'read', 'although in its past', 'broke', 'invoked', 'event'],
        rows,
      ),
      shown.more,
    );
  }
  const counts = Object.entries(r.anomalyCounts ?? {});
  if (counts.length)
    parts.push(
      `<p class="muted">Anomalies found: ${esc(counts.map(([p, n]) => `${p} ×${n}`).join(', '))}${
        anomalies.length < counts.reduce((s, [, n]) => s + (n ?? 0), 0)
          ? ` (${anomalies.length} witnessed)`
          : ''
      }.</p>`,
    );
  if (r.stats)
    parts.push(
      `<p class="muted">${esc(r.stats.operations)} operations (${esc(r.stats.kept)} kept: ${esc(r.stats.reads)} reads, ${esc(r.stats.writes)} writes) in ${esc(r.stats.sessions)} sessions on ${esc(r.stats.keys)} keys; checked in ${esc(r.stats.ms)} ms.</p>`,
    );
  if (r.notes?.length)
    parts.push(`<ul class="muted">${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);
  return parts.join('\n');
}
