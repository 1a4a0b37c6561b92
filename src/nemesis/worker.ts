/**
 * The nemesis worker: plays a schedule against a cluster in real time, records every action
 * in the history (process "nemesis", type info), and always ends with the final heal — at
 * the schedule's end, when the phase is cut short (the signal), or when something throws.
 */
import { setMaxListeners } from 'node:events';
import type { Value } from '../history/op.js';
import type { Cluster } from '../runtime/cluster.js';
import type { Aim, NemesisEvent } from './family.js';
import { type HealOutcome, healEverything } from './heal.js';
import { sortNodes } from './nodes.js';
import { FAMILIES, type Fault, familyOf } from './registry.js';
import { describeFault } from './schedule.js';
import type { NemesisFamily, Schedule, ScheduleEntry } from './types.js';

export interface NemesisRecorder {
  nemesis(f: string, value: Value, error?: string): unknown;
}

export interface NemesisRunOptions {
  cluster: Cluster;
  recorder: NemesisRecorder;
  schedule: Schedule;
  /** Ends the phase early: the remaining entries are skipped, the final heal still runs. */
  signal?: AbortSignal;
  onEvent?: (message: string) => void;
  /** Who the primaries are now (the target's answer); none when the target has no primaries. */
  primaries?: () => Promise<string[]>;
}

export interface NemesisSummary {
  /** Faults started, by family. */
  started: Partial<Record<NemesisFamily, number>>;
  /** Actions that reported an error (a node refused or a call failed). */
  errors: number;
  /**
   * Schedule entries not played because the phase ended first (the signal): the final heal
   * undid whatever their stops would have. 0 when the schedule ran to its end.
   */
  skipped: number;
  heal: HealOutcome;
}

const sleepUntil = (at: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const ms = at - performance.now();
    if (ms <= 0 || signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

export async function runNemesis(o: NemesisRunOptions): Promise<NemesisSummary> {
  const { cluster, recorder, schedule } = o;
  const emit = o.onEvent ?? (() => {});
  const allNodes = cluster.nodes.map((n) => n.name);
  const summary: NemesisSummary = {
    started: {},
    errors: 0,
    skipped: 0,
    heal: { attempts: 0, errors: [], healed: false },
  };
  /** Nodes each started fault was applied to (what its stop undoes). */
  const applied = new Map<number, string[]>();
  /** What is still broken, per family, for the final heal's record. */
  const broken = new Map<string, Set<string>>(FAMILIES.map((f) => [f.name, new Set<string>()]));

  const record = (event: NemesisEvent, startedAt: number, errors: string[]) => {
    const value = { ...event.value, tookMs: Math.round(performance.now() - startedAt) };
    if (errors.length > 0) summary.errors++;
    recorder.nemesis(event.f, value, errors.length > 0 ? errors.join('; ') : undefined);
  };

  const aimAt = async (fault: Fault): Promise<{ aim: Aim; error?: string }> => {
    const family = familyOf(fault.family);
    let primaries: string[] = [];
    if (family.needsPrimaries(fault)) {
      primaries = (await o.primaries?.().catch(() => [])) ?? [];
      if (primaries.length === 0) return { aim: { nodes: [] }, error: 'no primary found' };
    }
    return { aim: family.aim(fault, allNodes, primaries) };
  };

  const start = async (id: number, fault: Fault, durationMs: number) => {
    const t = performance.now();
    const family = familyOf(fault.family);
    const { aim, error } = await aimAt(fault);
    applied.set(id, aim.nodes);
    summary.started[fault.family] = (summary.started[fault.family] ?? 0) + 1;
    const errors: string[] = error ? [error] : [];
    if (!error) {
      for (const n of aim.nodes) broken.get(fault.family)?.add(n);
      errors.push(...(await family.start(cluster, fault, aim, durationMs)));
    }
    record(family.startEvent(id, fault, aim), t, errors);
    emit(
      `nemesis: ${describeFault(fault)} → ${aim.grudge ? JSON.stringify(aim.grudge) : aim.nodes.join(',') || '-'}${errors.length ? ` (${errors.join('; ')})` : ''}`,
    );
  };

  const stop = async (id: number, fault: Fault) => {
    const t = performance.now();
    const family = familyOf(fault.family);
    const nodes = applied.get(id) ?? [];
    const errors = await family.stop(cluster, fault, nodes);
    for (const n of nodes) broken.get(fault.family)?.delete(n);
    record(family.stopEvent(id, fault, nodes), t, errors);
    emit(
      `nemesis: stop #${id} (${fault.family}) ${nodes.join(',')}${errors.length ? ` (${errors.join('; ')})` : ''}`,
    );
  };

  // The runner's workers wait on the same signal: one more listener is not a leak.
  if (o.signal) setMaxListeners(0, o.signal);
  const t0 = performance.now();
  try {
    const entries = schedule.entries.filter((e) => e.action !== 'heal') as ScheduleEntry[];
    let played = 0;
    for (const entry of entries) {
      await sleepUntil(t0 + entry.atMs, o.signal);
      // A stop due right at the phase's end is still played; anything else is left to the heal.
      if (o.signal?.aborted && !(entry.action === 'stop' && entry.atMs >= schedule.endMs)) break;
      if (entry.action === 'start') await start(entry.id, entry.fault, entry.durationMs);
      else if (entry.action === 'stop') await stop(entry.id, entry.fault);
      played++;
    }
    summary.skipped = entries.length - played;
    // Hold until the phase ends (the final heal belongs at its end, not before).
    const healEntry = schedule.entries.at(-1);
    if (healEntry) await sleepUntil(t0 + healEntry.atMs, o.signal);
  } finally {
    const t = performance.now();
    summary.heal = await healEverything(cluster);
    const value: { [field: string]: Value } = { final: true, nodes: allNodes, network: true };
    for (const family of FAMILIES) {
      if (family.healedField) value[family.healedField] = sortNodes(broken.get(family.name) ?? []);
    }
    value.tookMs = Math.round(performance.now() - t);
    const error = summary.heal.healed ? undefined : summary.heal.errors.join('; ');
    recorder.nemesis('heal', value, error);
    emit(`nemesis: final heal ${summary.heal.healed ? 'done' : `FAILED: ${error}`}`);
  }
  return summary;
}
