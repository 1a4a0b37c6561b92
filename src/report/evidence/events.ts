/**
 * Small helpers the evidence renderers share: an event by its index, who ran it and when, in
 * words, and capped lists (a 10^6-operation report names a few items and counts the rest).
 */
import type { History, Op } from '../../history/op.js';
import { esc } from '../html.js';

export const seconds = (ns: number) => `${(ns / 1e9).toFixed(3)} s`;

/** Most lists show this many items, then "…and M more". */
export const SHOW = 20;

/** The event with this index (events are dense from 0, so normally `ops[index]`). */
export function eventAt(history: History, index: number | null | undefined): Op | undefined {
  if (index === null || index === undefined || index < 0) return undefined;
  const op = history.ops[index];
  if (op && op.index === index) return op;
  return history.ops.find((o) => o.index === index);
}

/** "process 3 on n2" (the node when the event recorded one). */
export const who = (op: Op | undefined): string =>
  op ? `process ${op.process}${op.node ? ` on ${op.node}` : ''}` : 'an unknown process';

/** "at 1.234 s" in a history with real time, else "at event 17" (times mean nothing there). */
export const when = (history: History, op: Op | undefined): string =>
  op ? (history.realTime ? `at ${seconds(op.time)}` : `at event ${op.index}`) : '';

/** A time cell: seconds in a real-time history, empty otherwise. */
export const timeCell = (history: History, op: Op | undefined): string =>
  op && history.realTime ? seconds(op.time) : '';

/** The first `limit` items rendered, and a line saying how many of `total` are not shown. */
export function capped<T>(items: readonly T[], total: number, limit: number, noun: string) {
  const shown = items.slice(0, limit);
  const rest = Math.max(0, total - shown.length);
  return {
    shown,
    more: rest > 0 ? `<p class="muted">…and ${rest} more ${esc(noun)}.</p>` : '',
  };
}

/**
 * A small table: a header row and rows of already-escaped cells; a column empty in every row
 * (no nodes recorded, no real time) is left out. `rowClass` marks rows (e.g. the read at fault).
 */
export function table(
  cls: string,
  head: string[],
  rows: string[][],
  rowClass?: (i: number) => string,
): string {
  const keep = head.map((_, c) => rows.length === 0 || rows.some((r) => (r[c] ?? '') !== ''));
  const cells = (r: string[], tag: string) =>
    r.flatMap((c, i) => (keep[i] ? [`<${tag}>${c}</${tag}>`] : [])).join('');
  const tr = (r: string[], i: number) => {
    const k = rowClass?.(i);
    return `<tr${k ? ` class="${k}"` : ''}>${cells(r, 'td')}</tr>`;
  };
  return `<table class="${cls}"><tr>${cells(head.map(esc), 'th')}</tr>${rows.map(tr).join('')}</table>`;
}

/** The invocation (per process, the open one) of each completion among `completions`. */
export function invocationsOf(history: History, completions: ReadonlySet<number>): Map<number, Op> {
  const out = new Map<number, Op>();
  if (completions.size === 0) return out;
  eachCall(
    history,
    () => true,
    (inv, comp) => {
      if (completions.has(comp.index)) out.set(comp.index, inv);
    },
  );
  return out;
}

/**
 * Each completion of a client process with its invocation (the process's open one), for the
 * invocations `wanted` keeps: one look at each event, open calls by process (small integers).
 */
export function eachCall(
  history: History,
  wanted: (inv: Op) => boolean,
  found: (inv: Op, comp: Op) => void,
): void {
  const open: (Op | undefined)[] = [];
  const { ops } = history;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const p = op.process;
    if (p === 'nemesis') continue;
    if (op.type === 'invoke') {
      open[p] = wanted(op) ? op : undefined;
      continue;
    }
    const inv = open[p];
    open[p] = undefined;
    if (inv !== undefined) found(inv, op);
  }
}
