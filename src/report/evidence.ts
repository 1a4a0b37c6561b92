/**
 * The evidence of the linearizability checker as a person reads it: each anomaly first in plain
 * words, with its witness (the few operations that alone cannot be ordered), the processes,
 * nodes and times, and the faults active then; the search's longest partial linearizations
 * folded below. The other checkers' evidence: evidence/{set,counter,causal}.ts.
 */

import type { WitnessOp } from '../checker/linearizable/explain.js';
import type { KeyEvidence, LinearizabilityResult, OpRef, Step } from '../checker/linearizable/index.js';
import type { History } from '../history/op.js';
import type { NemesisInterval } from '../nemesis/types.js';
import { esc, json, verdictBadge } from './html.js';

/** What every renderer may use besides its result. */
export interface RenderContext {
  history: History;
  intervals: NemesisInterval[];
}

/** One anomaly the page lists first and the timeline can jump to. */
export interface AnomalyMark {
  checker: string;
  title: string;
  explanation: string;
  /** Invocation event indices of the operations to highlight (the witness when there is one). */
  events: number[];
  key?: unknown;
  /** The anomaly's detail (witness, faults), already escaped. */
  html: string;
}

export const LIST_LIMIT = 20;
const TAIL_STEPS = 12;

const seconds = (ns: number) => `${(ns / 1e9).toFixed(3)} s`;

/** A partial linearization: its last steps in view (they lead to the failure), the rest folded. */
function renderSteps(steps: Step[]): string {
  const item = (s: Step) => `<li>${esc(s.op.description)} <span class="state">⇒ ${esc(s.state)}</span></li>`;
  const cut = Math.max(0, steps.length - TAIL_STEPS);
  const head = steps.slice(0, cut);
  const folded = head.length
    ? `<details><summary>${head.length} earlier steps</summary><ol class="steps">${head.map(item).join('')}</ol></details>`
    : '';
  return `${folded}<ol class="steps" start="${cut + 1}">${steps.slice(cut).map(item).join('')}</ol>`;
}

/** Faults whose interval overlaps [from, to] (ns), in words. */
export function faultsDuring(intervals: NemesisInterval[], from: number, to: number): string[] {
  return intervals
    .filter((i) => i.start <= to && (i.end ?? Number.POSITIVE_INFINITY) >= from)
    .map(
      (i) =>
        `${i.kind}${i.detail ? ` ${i.detail}` : ''}${i.nodes.length ? ` on ${i.nodes.join(', ')}` : ''} (${seconds(i.start)}–${i.end === null ? 'end' : seconds(i.end)})`,
    );
}

function faultLine(ctx: RenderContext, ops: WitnessOp[]): string {
  if (ctx.intervals.length === 0 || ops.length === 0) return '';
  const from = Math.min(...ops.map((o) => o.start));
  const to = Math.max(...ops.map((o) => o.end ?? o.start));
  const during = faultsDuring(ctx.intervals, from, to);
  const text = during.length ? during.join('; ') : 'none';
  return `<p class="faults">Faults active then: ${esc(text)}</p>`;
}

function witnessTable(ops: WitnessOp[], named: Set<number>): string {
  const row = (o: WitnessOp) =>
    `<tr${named.has(o.invokeIndex) ? ' class="named"' : ''}><td>${esc(o.process)}</td><td>${esc(o.node ?? '')}</td><td>${esc(o.description.replace(/^process \S+ /, ''))}</td><td>${seconds(o.start)}</td><td>${o.end === null ? '—' : seconds(o.end)}</td><td>${o.invokeIndex}–${o.completionIndex ?? '…'}</td></tr>`;
  return `<table class="witness"><tr><th>process</th><th>node</th><th>operation</th><th>invoked</th><th>completed</th><th>events</th></tr>${ops.map(row).join('')}</table>`;
}

/** The anomaly of one refuted key: plain words, the witness, the faults active then. */
function keyAnomaly(f: KeyEvidence, ctx: RenderContext): AnomalyMark {
  const w = f.witness;
  const html = w
    ? `<p class="plain">${esc(w.anomaly.explanation)}</p>
  <p>These ${w.ops.length} operations alone cannot be ordered${w.minimal ? ' (and no smaller part of them proves it)' : ''}:</p>
  ${witnessTable(w.ops, new Set(w.anomaly.ops))}${faultLine(ctx, w.ops)}`
    : `${f.op ? `<p class="plain">No order of operations explains ${esc(f.op.description)}.</p>` : ''}${f.witnessNote ? `<p class="muted">No minimal witness: ${esc(f.witnessNote)}.</p>` : ''}`;
  return {
    checker: 'linearizable',
    title: w ? w.anomaly.title : 'not linearizable',
    explanation: w?.anomaly.explanation ?? (f.op ? `No order explains ${f.op.description}.` : ''),
    events: w
      ? w.ops.map((o) => o.invokeIndex)
      : [f.op, ...f.concurrent].flatMap((o) => (o ? [o.invokeIndex] : [])),
    key: f.key,
    html,
  };
}

export const linearizableMarks = (r: LinearizabilityResult, ctx: RenderContext): AnomalyMark[] =>
  (r.failures ?? []).filter((f) => f.valid === false).map((f) => keyAnomaly(f, ctx));

/** Per key: the search's stuck operation and longest partial linearizations, folded. */
export function linearizableDetails(r: LinearizabilityResult): string {
  const failures = r.failures ?? [];
  const parts = failures.slice(0, LIST_LIMIT).map((f) => {
    const longest = f.longest.slice(0, 3).map(renderSteps).join('');
    const concurrent = f.concurrent.map((o: OpRef) => `<li>${esc(o.description)}</li>`).join('');
    const stuck = f.op
      ? ` stuck at ${esc(f.op.description)} (events ${f.op.invokeIndex}–${f.op.completionIndex ?? '…'})`
      : '';
    return `<details class="search"><summary>key ${json(f.key)} ${verdictBadge(f.valid)}${f.reason ? ` ${esc(f.reason)}` : ''}: the search${stuck}</summary>${longest ? `<p>Longest partial linearizations (each step with the state after it):</p>${longest}` : ''}${concurrent ? `<p>Operations concurrent at that point:</p><ul>${concurrent}</ul>` : ''}</details>`;
  });
  if (failures.length > LIST_LIMIT)
    parts.push(`<p class="muted">…and ${failures.length - LIST_LIMIT} more keys.</p>`);
  return parts.join('');
}
