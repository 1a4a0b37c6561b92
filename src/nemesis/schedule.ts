/**
 * The nemesis schedule: which fault starts when, and when it stops, for the whole nemesis
 * phase, drawn from a seed before the run starts (`--nemesis partition,kill,clock
 * --nemesis-interval 10`). The same seed, families, interval, phase length and node names give
 * the same sequence of faults; only `primaries` is left for the running cluster to name.
 *
 * Timing: a new fault starts about every interval (uniform in 0.5–1.5 × interval after the
 * previous start) and lasts about an interval (same draw), cut at the end of the phase. The
 * first fault starts after about an interval, so every run has a fault-free baseline. Faults
 * of different families overlap, except where they cannot be applied together:
 *   - partition, loss and latency share the nodes' packet filter and one network heal;
 *   - pause excludes everything else (a frozen container cannot run the commands the other
 *     faults need, and a paused node would hide what a kill or a skew does).
 * A family never overlaps itself. Every start has its stop; the last entry is the final heal.
 */
import { createRng, type Rng } from '../runner/rng.js';
import type { AnyFamily } from './family.js';
import { type Fault, familyNames, familyOf } from './registry.js';
import type { NemesisFamily, Schedule, ScheduleEntry } from './types.js';

/**
 * How each family draws its faults, by family name; a family's fields not given keep its
 * defaults (e.g. `{ partition: { kinds: ['primary'] }, clock: { maxOffsetS: 5 } }`).
 */
export type NemesisChoices = { readonly [family: string]: Readonly<Record<string, unknown>> | undefined };

/** A family's choices: its defaults overlaid with the run's. */
export function choicesFor(family: AnyFamily, choices: NemesisChoices | undefined): unknown {
  return { ...(family.defaults as object), ...(choices?.[family.name] ?? {}) };
}

export interface ScheduleOptions {
  families: readonly NemesisFamily[];
  /** Mean seconds between fault starts, and mean fault length. */
  intervalS: number;
  /** Length of the nemesis phase in seconds; the final heal comes at its end. */
  durationS: number;
  /** Node names, in the cluster's order. */
  nodes: readonly string[];
  /** Whether the target has primaries (etcd's leader, Redis's master) to aim at. */
  hasPrimary: boolean;
  /** The seed, or a stream forked from the run's. */
  seed: number | Rng;
  choices?: NemesisChoices;
}

/** Parses `partition,kill,clock` into families, with a clear error for an unknown one. */
export function parseFamilies(text: string): NemesisFamily[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length === 0) throw new Error('--nemesis: name at least one fault family');
  const out: NemesisFamily[] = [];
  for (const name of names) {
    if (!familyNames().includes(name)) {
      throw new Error(`--nemesis: unknown fault family "${name}" (known: ${familyNames().join(', ')})`);
    }
    if (!out.includes(name as NemesisFamily)) out.push(name as NemesisFamily);
  }
  return out;
}

/** Whether two families may not be active at once. */
export function conflicts(a: NemesisFamily, b: NemesisFamily): boolean {
  const fa = familyOf(a);
  const fb = familyOf(b);
  return fa.exclusive === true || fb.exclusive === true || fa.group === fb.group;
}

/** Draws one fault of a family (the node choices are made here, from the stream). */
export function drawFault(
  family: NemesisFamily,
  nodes: readonly string[],
  hasPrimary: boolean,
  choices: NemesisChoices | undefined,
  rng: Rng,
): Fault {
  const f = familyOf(family);
  return f.draw(rng, { nodes, hasPrimary }, choicesFor(f, choices)) as Fault;
}

export function generateSchedule(options: ScheduleOptions): Schedule {
  const { families, nodes, hasPrimary } = options;
  if (!(options.intervalS > 0)) throw new Error('nemesis interval must be > 0 seconds');
  if (!(options.durationS > 0)) throw new Error('nemesis phase must last > 0 seconds');
  if (nodes.length === 0) throw new Error('nemesis: the cluster has no nodes');
  const choices = options.choices;
  // Every family must be able to draw a fault here, even if the phase is too short to use it.
  for (const family of families) drawFault(family, nodes, hasPrimary, choices, createRng(0));
  const rng = typeof options.seed === 'number' ? createRng(options.seed) : options.seed;
  const intervalMs = Math.round(options.intervalS * 1000);
  const endMs = Math.round(options.durationS * 1000);
  const draw = () => Math.max(1, Math.round(intervalMs * (0.5 + rng.next())));
  // Too little time left for a fault to matter: stop starting new ones.
  const lastStart = endMs - Math.min(1000, intervalMs / 4);

  const entries: ScheduleEntry[] = [];
  const active: { family: NemesisFamily; stopAt: number }[] = [];
  let nextId = 0;
  let t = draw();
  while (families.length > 0 && t < lastStart) {
    for (let i = active.length - 1; i >= 0; i--) if (active[i]!.stopAt <= t) active.splice(i, 1);
    const free = families.filter((f) => active.every((a) => !conflicts(f, a.family)));
    if (free.length === 0) {
      t = Math.min(...active.map((a) => a.stopAt));
      continue;
    }
    const family = free[rng.int(free.length)]!;
    const fault = drawFault(family, nodes, hasPrimary, choices, rng);
    const stopAt = Math.min(t + draw(), endMs);
    const id = nextId++;
    entries.push({ atMs: t, action: 'start', id, fault, durationMs: stopAt - t });
    entries.push({ atMs: stopAt, action: 'stop', id, fault });
    active.push({ family, stopAt });
    t += draw();
  }
  entries.push({ atMs: endMs, action: 'heal' });
  // In time order; at the same moment stops come first (freeing what a start may need),
  // then starts, then the final heal; ties keep fault order.
  const rank = (e: ScheduleEntry) => (e.action === 'stop' ? 0 : e.action === 'start' ? 1 : 2);
  entries.sort((a, b) => a.atMs - b.atMs || rank(a) - rank(b) || idOf(a) - idOf(b));
  return {
    seed: typeof options.seed === 'number' ? options.seed : null,
    families: [...families],
    intervalMs,
    endMs,
    entries,
  };
}

const idOf = (e: ScheduleEntry) => (e.action === 'heal' ? Number.MAX_SAFE_INTEGER : e.id);

/** A short human description of a fault ("partition majorities-ring", "kill minority n2"). */
export function describeFault(fault: Fault): string {
  return familyOf(fault.family).describe(fault);
}

/** The schedule as lines of text (for --dry-run style previews and test messages). */
export function formatSchedule(schedule: Schedule): string[] {
  return schedule.entries.map((e) => {
    const at = `${(e.atMs / 1000).toFixed(1).padStart(6)} s`;
    if (e.action === 'heal') return `${at}  heal everything`;
    return `${at}  ${e.action.padEnd(5)} #${e.id} ${describeFault(e.fault)}`;
  });
}
