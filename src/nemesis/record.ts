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
import { match } from 'ts-pattern';
import type { Op, Value } from '../history/op.js';
import type { Grudge } from '../runtime/cluster.js';
import { grudgeNodes } from './partition.js';
import type { Fault, NemesisFamily, NemesisInterval } from './types.js';

export interface NemesisEvent {
  f: string;
  value: { [field: string]: Value };
}

const grudgeValue = (g: Grudge): { [node: string]: Value } => ({ ...g });

/** The event for a fault's start, with the nodes it was applied to (primaries resolved). */
export function startEvent(id: number, fault: Fault, nodes: string[], grudge?: Grudge): NemesisEvent {
  return match(fault)
    .with({ family: 'partition' }, (f) => {
      const g = grudge ?? f.grudge ?? {};
      return {
        f: 'partition',
        value: { fault: id, kind: f.kind, grudge: grudgeValue(g), nodes: grudgeNodes(g) },
      };
    })
    .with({ family: 'kill' }, (f) => ({ f: 'kill', value: { fault: id, target: f.target, nodes } }))
    .with({ family: 'pause' }, (f) => ({ f: 'pause', value: { fault: id, target: f.target, nodes } }))
    .with({ family: 'clock', mode: 'bump' }, (f) => ({
      f: 'clock-bump',
      value: { fault: id, nodes, offset: f.offsetS },
    }))
    .with({ family: 'clock', mode: 'strobe' }, (f) => ({
      f: 'clock-strobe',
      value: { fault: id, nodes, offset: f.offsetS, periodMs: f.periodMs },
    }))
    .with({ family: 'loss' }, (f) => ({
      f: 'netem',
      value: { fault: id, nodes, lossPercent: f.lossPercent },
    }))
    .with({ family: 'latency' }, (f) => ({
      f: 'netem',
      value: { fault: id, nodes, delayMs: f.delayMs, jitterMs: f.jitterMs },
    }))
    .exhaustive();
}

/** The event for a fault's stop. */
export function stopEvent(id: number, fault: Fault, nodes: string[]): NemesisEvent {
  return match(fault)
    .with({ family: 'partition' }, () => ({ f: 'heal', value: { fault: id, of: 'partition', nodes } }))
    .with({ family: 'kill' }, (f) => ({ f: 'start', value: { fault: id, target: f.target, nodes } }))
    .with({ family: 'pause' }, (f) => ({ f: 'resume', value: { fault: id, target: f.target, nodes } }))
    .with({ family: 'clock' }, () => ({ f: 'clock-reset', value: { fault: id, nodes } }))
    .with({ family: 'loss' }, () => ({ f: 'heal', value: { fault: id, of: 'loss', nodes } }))
    .with({ family: 'latency' }, () => ({ f: 'heal', value: { fault: id, of: 'latency', nodes } }))
    .exhaustive();
}

/** Which family a start event belongs to, from its `f` and value. */
function familyOf(f: string, value: { [field: string]: Value }): NemesisFamily | undefined {
  switch (f) {
    case 'partition':
      return 'partition';
    case 'kill':
      return 'kill';
    case 'pause':
      return 'pause';
    case 'clock-bump':
    case 'clock-strobe':
      return 'clock';
    case 'netem':
      return 'delayMs' in value ? 'latency' : 'loss';
    default:
      return undefined;
  }
}

function detailOf(f: string, value: { [field: string]: Value }): string {
  switch (f) {
    case 'partition':
      return String(value.kind ?? '');
    case 'kill':
    case 'pause':
      return String(value.target ?? '');
    case 'clock-bump':
      return `bump ${signed(Number(value.offset))} s`;
    case 'clock-strobe':
      return `strobe ${signed(Number(value.offset))} s / ${value.periodMs} ms`;
    case 'netem':
      return 'delayMs' in value ? `${value.delayMs}±${value.jitterMs} ms` : `${value.lossPercent}%`;
    default:
      return '';
  }
}

const signed = (n: number) => (n >= 0 ? `+${n}` : `${n}`);

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
    const kind = familyOf(op.f, value);
    if (!kind) continue;
    const grudge = value.grudge;
    open.set(value.fault, {
      id: value.fault,
      kind,
      detail: detailOf(op.f, value),
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
