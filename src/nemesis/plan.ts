/**
 * The nemesis of one run (`faultline run --nemesis partition,kill --nemesis-interval 10`):
 * checked against the target (the runner asks it up front) and against the running cluster
 * before any client starts, then played beside the workers for the workload phase; its
 * schedule is drawn from the run's seed (the same seed and node names give the same faults).
 * After the phase: the final heal (the worker's), a quiet recovery period, the final reads.
 */

import type { Rng } from '../runner/rng.js';
import type { Cluster, FaultKind } from '../runtime/cluster.js';
import { assertFaultsSupported } from '../runtime/cluster.js';
import { abilitiesOf } from './registry.js';
import { formatSchedule, generateSchedule, type NemesisChoices } from './schedule.js';
import type { NemesisFamily, Schedule } from './types.js';
import { type NemesisRecorder, type NemesisSummary, runNemesis } from './worker.js';

export interface NemesisPlan {
  families: NemesisFamily[];
  /** Mean seconds between fault starts (and mean fault length). Default 10. */
  intervalS: number;
  /** Quiet seconds after the final heal before the final reads. Default 10. */
  recoveryS: number;
  choices?: NemesisChoices;
}

export const DEFAULT_NEMESIS_INTERVAL_S = 10;
export const DEFAULT_RECOVERY_S = 10;

/**
 * Draws a schedule for placeholder nodes, so that a nemesis that cannot be drawn (no usable
 * target for a family with this many nodes) fails before anything starts. Returns how many
 * faults such a schedule holds (0: the phase is shorter than the interval).
 */
export function checkPlan(plan: NemesisPlan, nodes: number, timeLimitS: number): { faults: number } {
  const schedule = generateSchedule({
    families: plan.families,
    intervalS: plan.intervalS,
    durationS: timeLimitS,
    nodes: Array.from({ length: nodes }, (_, i) => `n${i + 1}`),
    hasPrimary: true,
    seed: 0,
    choices: plan.choices,
  });
  return { faults: schedule.entries.filter((e) => e.action === 'start').length };
}

export interface RunNemesisContext {
  cluster: Cluster;
  recorder: NemesisRecorder;
  rng: Rng;
  signal: AbortSignal;
  /** Who leads now (the target's answer); absent for targets without primaries. */
  primaries?: () => Promise<string[]>;
}

/** What the runner plugs in: see src/runner/run.ts (`nemesis`). */
export interface RunNemesis {
  families: readonly NemesisFamily[];
  /** The cluster abilities those families use (kill, partition, clock, ...). */
  needs: readonly FaultKind[];
  /** The plan it plays (for pre-flight checks). */
  plan?: NemesisPlan;
  recoveryS: number;
  /** For run.json. */
  describe(): Record<string, unknown>;
  /** Throws (UnsupportedFaultError) when the running cluster cannot do a family. */
  prepare(cluster: Cluster): void;
  /** Plays the schedule for the phase and heals; resolves once everything is healed. */
  run(ctx: RunNemesisContext): Promise<NemesisSummary>;
}

export function runNemesisFor(
  plan: NemesisPlan,
  phase: { timeLimitS: number; onEvent?: (message: string) => void },
): RunNemesis {
  let schedule: Schedule | undefined;
  let summary: NemesisSummary | undefined;
  return {
    families: plan.families,
    needs: abilitiesOf(plan.families),
    plan,
    recoveryS: plan.recoveryS,
    describe: () => ({
      families: plan.families,
      intervalS: plan.intervalS,
      recoveryS: plan.recoveryS,
      ...(plan.choices ? { choices: plan.choices as Record<string, unknown> } : {}),
      ...(schedule ? { schedule: formatSchedule(schedule) } : {}),
      ...(summary ? { summary: summary as unknown as Record<string, unknown> } : {}),
    }),
    prepare(cluster) {
      assertFaultsSupported(cluster, abilitiesOf(plan.families));
    },
    async run(ctx) {
      const { cluster } = ctx;
      schedule = generateSchedule({
        families: plan.families,
        intervalS: plan.intervalS,
        durationS: phase.timeLimitS,
        nodes: cluster.nodes.map((n) => n.name),
        hasPrimary: ctx.primaries !== undefined,
        seed: ctx.rng,
        choices: plan.choices,
      });
      const starts = schedule.entries.filter((e) => e.action === 'start').length;
      phase.onEvent?.(
        `nemesis: ${plan.families.join(',')} every ~${plan.intervalS} s: ${starts} fault(s) scheduled`,
      );
      summary = await runNemesis({
        cluster,
        recorder: ctx.recorder,
        schedule,
        signal: ctx.signal,
        onEvent: phase.onEvent,
        primaries: ctx.primaries,
      });
      return summary;
    },
  };
}
