/**
 * How nemesis actions appear in the history, and how fault intervals are read back from it.
 *
 * Every action is one event, recorded once the action has been carried out: process
 * "nemesis", type "info", `f` the action, `value` what was done to which node:
 *
 *   f              value
 *   partition      {fault, kind, grudge, nodes}          nodes: those that drop something
 *   heal           {fault, of: "partition"|"loss"|"latency", nodes}
 *   kill / start   {fault, target, nodes}                 target: one, minority, ...
 *   pause / resume {fault, target, nodes}
 *   clock-bump     {fault, nodes, offset}                 offset in seconds
 *   clock-strobe   {fault, nodes, offset, periodMs, durationMs}
 *   clock-reset    {fault, nodes}
 *   netem          {fault, nodes, lossPercent} or {fault, nodes, delayMs, jitterMs}
 *   heal           {final: true, nodes, resumed, started, clocksReset}   the final heal
 *
 * `fault` is the schedule's id, shared by a fault's start and stop events, so the intervals
 * can be rebuilt from the history alone (`faultline check` on a saved history sees them too).
 * Every event also carries `tookMs` (how long the action took: the fault took effect during
 * that time before the event) and, when a node refused, `error` on the event.
 */
import type { Op, Value } from '../history/op.js';
import type { Grudge } from '../runtime/cluster.js';
import { FAMILIES } from './registry.js';
import type { NemesisFamily, NemesisInterval } from './types.js';

export type { NemesisEvent } from './family.js';

/** The family a start event belongs to and its detail, asked of each registered family. */
function readStart(
  f: string,
  value: { [field: string]: Value },
): { kind: NemesisFamily; detail: string } | undefined {
  for (const family of FAMILIES) {
    const detail = family.readStart(f, value);
    if (detail !== undefined) return { kind: family.name, detail };
  }
  return undefined;
}

const isObject = (v: Value): v is { [field: string]: Value } =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const stringList = (v: Value | undefined): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

/**
 * The faults of a history as intervals: from a start event to its stop event (or the final
 * heal, for a fault the phase ended before stopping; or null when the history ends first).
 */
export function nemesisIntervals(ops: readonly Op[]): NemesisInterval[] {
  const open = new Map<number, NemesisInterval>();
  const done: NemesisInterval[] = [];
  for (const op of ops) {
    if (op.process !== 'nemesis' || !isObject(op.value)) continue;
    const value = op.value;
    if (value.final === true) {
      for (const interval of open.values()) {
        interval.end = op.time;
        if (op.error) addError(interval, op.error);
        done.push(interval);
      }
      open.clear();
      continue;
    }
    if (typeof value.fault !== 'number') continue;
    const existing = open.get(value.fault);
    if (existing) {
      existing.end = op.time;
      if (op.error) addError(existing, op.error);
      done.push(existing);
      open.delete(value.fault);
      continue;
    }
    const start = readStart(op.f, value);
    if (!start) continue;
    const { kind, detail } = start;
    const grudge = value.grudge;
    open.set(value.fault, {
      id: value.fault,
      kind,
      detail,
      nodes: stringList(value.nodes),
      ...(kind === 'partition' && grudge !== undefined && isObject(grudge)
        ? { grudge: grudgeOf(grudge) }
        : {}),
      start: op.time,
      end: null,
      ...(op.error ? { errors: [op.error] } : {}),
    });
  }
  return [...done, ...open.values()].sort((a, b) => a.start - b.start || a.id - b.id);
}

function addError(interval: NemesisInterval, error: string): void {
  interval.errors = [...(interval.errors ?? []), error];
}

function grudgeOf(value: { [node: string]: Value }): Grudge {
  const grudge: Grudge = {};
  for (const [node, drops] of Object.entries(value)) grudge[node] = stringList(drops ?? null);
  return grudge;
}
