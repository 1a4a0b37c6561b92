/**
 * The nemesis worker: plays a schedule against a cluster in real time, records every action
 * in the history (process "nemesis", type info), and always ends with the final heal — at
 * the schedule's end, when the phase is cut short (the signal), or when something throws.
 */
import { setMaxListeners } from 'node:events';
import { match } from 'ts-pattern';
import type { Value } from '../history/op.js';
import type { Cluster, Grudge } from '../runtime/cluster.js';
import { once } from './act.js';
import { bumpClocks, resetClocks, strobeClocks } from './clock.js';
import { type HealOutcome, healEverything } from './heal.js';
import { killNodes, startNodes } from './kill.js';
import { healNetwork, latencyOn, lossOn } from './netem.js';
import { resolveNodes, sortNodes } from './nodes.js';
import { resolveGrudge } from './partition.js';
import { pauseNodes, resumeNodes } from './pause.js';
import { findPrimaries } from './primary.js';
import { type NemesisEvent, startEvent, stopEvent } from './record.js';
import { describeFault } from './schedule.js';
import type { Fault, NemesisFamily, Schedule, ScheduleEntry } from './types.js';

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
  /** Who the primaries are now (default: asks the cluster; see primary.ts). */
  primaries?: (cluster: Cluster) => Promise<string[]>;
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
  const primariesOf = o.primaries ?? ((c: Cluster) => findPrimaries(c));
  const allNodes = cluster.nodes.map((n) => n.name);
  const summary: NemesisSummary = {
    started: {},
    errors: 0,
    skipped: 0,
    heal: { attempts: 0, errors: [], healed: false },
  };
  /** Nodes each started fault was applied to (what its stop undoes). */
  const applied = new Map<number, string[]>();
  // What is still broken, for the final heal's record.
  const killed = new Set<string>();
  const paused = new Set<string>();
  const skewed = new Set<string>();

  const record = (event: NemesisEvent, startedAt: number, errors: string[]) => {
    const value = { ...event.value, tookMs: Math.round(performance.now() - startedAt) };
    if (errors.length > 0) summary.errors++;
    recorder.nemesis(event.f, value, errors.length > 0 ? errors.join('; ') : undefined);
  };

  const nodesFor = async (fault: Fault): Promise<{ nodes: string[]; grudge?: Grudge; error?: string }> => {
    const needsPrimaries = fault.family === 'partition' ? fault.grudge === null : 'primaries' in fault.on;
    let primaries: string[] = [];
    if (needsPrimaries) {
      primaries = await primariesOf(cluster).catch(() => []);
      if (primaries.length === 0) return { nodes: [], error: 'no primary found' };
    }
    if (fault.family === 'partition') {
      const grudge = resolveGrudge(fault, allNodes, primaries);
      return { nodes: sortNodes(Object.keys(grudge)), grudge };
    }
    return { nodes: resolveNodes(fault.on, primaries) };
  };

  const start = async (id: number, fault: Fault, durationMs: number) => {
    const t = performance.now();
    const target = await nodesFor(fault);
    applied.set(id, target.nodes);
    summary.started[fault.family] = (summary.started[fault.family] ?? 0) + 1;
    const errors: string[] = target.error ? [target.error] : [];
    if (!target.error) {
      const nodes = target.nodes;
      errors.push(
        ...(await match(fault)
          .with({ family: 'partition' }, () => once(() => cluster.partition(target.grudge ?? {})))
          .with({ family: 'kill' }, () => {
            for (const n of nodes) killed.add(n);
            return killNodes(cluster, nodes);
          })
          .with({ family: 'pause' }, () => {
            for (const n of nodes) paused.add(n);
            return pauseNodes(cluster, nodes);
          })
          .with({ family: 'clock', mode: 'bump' }, (f) => {
            for (const n of nodes) skewed.add(n);
            return bumpClocks(cluster, nodes, f.offsetS);
          })
          .with({ family: 'clock', mode: 'strobe' }, (f) => {
            for (const n of nodes) skewed.add(n);
            return strobeClocks(cluster, nodes, f.offsetS, f.periodMs, durationMs);
          })
          .with({ family: 'loss' }, (f) => lossOn(cluster, nodes, f.lossPercent))
          .with({ family: 'latency' }, (f) => latencyOn(cluster, nodes, f.delayMs, f.jitterMs))
          .exhaustive()),
      );
    }
    const event = startEvent(id, fault, target.nodes, target.grudge);
    record(event, t, errors);
    emit(
      `nemesis: ${describeFault(fault)} → ${target.grudge ? JSON.stringify(target.grudge) : target.nodes.join(',') || '-'}${errors.length ? ` (${errors.join('; ')})` : ''}`,
    );
  };

  const stop = async (id: number, fault: Fault) => {
    const t = performance.now();
    const nodes = applied.get(id) ?? [];
    const errors = await match(fault)
      .with({ family: 'partition' }, { family: 'loss' }, { family: 'latency' }, () => healNetwork(cluster))
      .with({ family: 'kill' }, async () => {
        const errs = await startNodes(cluster, nodes);
        for (const n of nodes) killed.delete(n);
        return errs;
      })
      .with({ family: 'pause' }, async () => {
        const errs = await resumeNodes(cluster, nodes);
        for (const n of nodes) paused.delete(n);
        return errs;
      })
      .with({ family: 'clock' }, async () => {
        const errs = await resetClocks(cluster, nodes);
        for (const n of nodes) skewed.delete(n);
        return errs;
      })
      .exhaustive();
    record(stopEvent(id, fault, nodes), t, errors);
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
    const value: { [field: string]: Value } = {
      final: true,
      nodes: allNodes,
      network: true,
      resumed: sortNodes(paused),
      started: sortNodes(killed),
      clocksReset: sortNodes(skewed),
      tookMs: Math.round(performance.now() - t),
    };
    const error = summary.heal.healed ? undefined : summary.heal.errors.join('; ');
    recorder.nemesis('heal', value, error);
    emit(`nemesis: final heal ${summary.heal.healed ? 'done' : `FAILED: ${error}`}`);
  }
  return summary;
}
