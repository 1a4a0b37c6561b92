/**
 * Clock faults on a node's wall clock (never the host's): libfaketime under the database reads
 * an offset file the runtime rewrites.
 *
 *   bump    shift the clock by ±offset seconds until reset;
 *   strobe  flip between +offset and real time every periodMs for the fault's duration;
 *   reset   back to real time (the stop of both).
 *
 * Only databases that read the clock through libc are affected: Go programs (etcd) read it
 * through the vDSO, which libfaketime cannot intercept, so targets built on Go declare the
 * clock family unsupported and asking for it fails before the run.
 */

import type { Rng } from '../runner/rng.js';
import type { Cluster } from '../runtime/cluster.js';
import { onEach } from './act.js';
import { applicableTargets, selectNodes } from './nodes.js';
import type { Fault, NodeTarget } from './types.js';

export const CLOCK_MODES = ['bump', 'strobe'] as const;
export type ClockMode = (typeof CLOCK_MODES)[number];
export const DEFAULT_CLOCK_TARGETS: readonly NodeTarget[] = ['one', 'minority'];
export const DEFAULT_MAX_CLOCK_OFFSET_S = 60;

export interface ClockChoice {
  targets: readonly NodeTarget[];
  modes: readonly ClockMode[];
  /** Offsets are drawn as ±(1..maxOffsetS) whole seconds, unless `offsetsS` lists them. */
  maxOffsetS: number;
  offsetsS?: readonly number[];
}

export function clockFault(
  choice: ClockChoice,
  nodes: readonly string[],
  hasPrimary: boolean,
  rng: Pick<Rng, 'int'>,
): Extract<Fault, { family: 'clock' }> {
  const usable = applicableTargets(choice.targets, nodes.length, hasPrimary);
  if (usable.length === 0) throw new Error(`clock: no usable target among ${choice.targets.join(', ')}`);
  if (choice.modes.length === 0) throw new Error('clock: no mode to draw from');
  const mode = choice.modes[rng.int(choice.modes.length)]!;
  const offsetS =
    choice.offsetsS && choice.offsetsS.length > 0
      ? choice.offsetsS[rng.int(choice.offsetsS.length)]!
      : (rng.int(2) === 0 ? -1 : 1) * (1 + rng.int(Math.max(1, Math.floor(choice.maxOffsetS))));
  const target = usable[rng.int(usable.length)]!;
  const on = selectNodes(target, nodes, rng);
  if (mode === 'bump') return { family: 'clock', mode, offsetS, on };
  const periodMs = 100 * (1 + rng.int(10));
  return { family: 'clock', mode, offsetS, periodMs, on };
}

export const bumpClocks = (cluster: Cluster, nodes: readonly string[], offsetS: number) =>
  onEach(nodes, (n) => cluster.clock(n, { kind: 'offset', seconds: offsetS }));

export const strobeClocks = (
  cluster: Cluster,
  nodes: readonly string[],
  offsetS: number,
  periodMs: number,
  durationMs: number,
) => onEach(nodes, (n) => cluster.clock(n, { kind: 'strobe', seconds: offsetS, periodMs, durationMs }));

export const resetClocks = (cluster: Cluster, nodes: readonly string[]) =>
  onEach(nodes, (n) => cluster.clock(n, { kind: 'reset' }));
