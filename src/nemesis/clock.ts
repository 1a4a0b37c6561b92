/**
 * Clock faults on a node's wall clock (never the host's): the runtime skews what the node's
 * database reads (libfaketime under it, or the host's clock on real hosts).
 *
 *   bump    shift the clock by ±offset seconds until reset;
 *   strobe  flip between +offset and real time every periodMs for the fault's duration;
 *   reset   back to real time (the stop of both).
 *
 * Only databases that read the clock through libc are affected under libfaketime: Go programs
 * (etcd) read it through the vDSO, so such targets declare the family unsupported and asking
 * for it fails before the run.
 */
import { match } from 'ts-pattern';
import type { Rng } from '../runner/rng.js';
import type { Cluster } from '../runtime/cluster.js';
import { onEach } from './act.js';
import {
  type DrawContext,
  describeOn,
  type FaultFamily,
  type NemesisEvent,
  type NodeFault,
  nodeAiming,
  signed,
} from './family.js';
import { applicableTargets, selectNodes } from './nodes.js';
import type { NodeTarget } from './types.js';

export const CLOCK_MODES = ['bump', 'strobe'] as const;
export type ClockMode = (typeof CLOCK_MODES)[number];

export type ClockFault = Omit<NodeFault, 'family'> & { family: 'clock'; offsetS: number } & (
    | { mode: 'bump' }
    | { mode: 'strobe'; periodMs: number }
  );

export interface ClockChoice {
  targets: readonly NodeTarget[];
  modes: readonly ClockMode[];
  /** Offsets are drawn as ±(1..maxOffsetS) whole seconds, unless `offsetsS` lists them. */
  maxOffsetS: number;
  offsetsS?: readonly number[];
}

function drawClock(rng: Rng, { nodes, hasPrimary }: DrawContext, choice: ClockChoice): ClockFault {
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
  if (mode === 'bump') return { family: 'clock', mode, offsetS, target, on };
  return { family: 'clock', mode, offsetS, periodMs: 100 * (1 + rng.int(10)), target, on };
}

const skew = (cluster: Cluster, f: ClockFault, nodes: readonly string[], durationMs: number) =>
  onEach(nodes, (n) =>
    cluster.clock(
      n,
      f.mode === 'bump'
        ? { kind: 'offset', seconds: f.offsetS }
        : { kind: 'strobe', seconds: f.offsetS, periodMs: f.periodMs, durationMs },
    ),
  );

export const clockFamily: FaultFamily<ClockFault, ClockChoice> = {
  name: 'clock',
  needs: ['clock'],
  group: 'clock',
  defaults: { targets: ['one', 'minority'], modes: CLOCK_MODES, maxOffsetS: 60 },
  healedField: 'clocksReset',
  draw: drawClock,
  describe: (f) =>
    match(f)
      .with({ mode: 'bump' }, (b) => `clock bump ${signed(b.offsetS)} s on ${describeOn(b)}`)
      .with(
        { mode: 'strobe' },
        (s) => `clock strobe ${signed(s.offsetS)} s every ${s.periodMs} ms on ${describeOn(s)}`,
      )
      .exhaustive(),
  ...nodeAiming,
  start: (cluster, f, aim, durationMs) => skew(cluster, f, aim.nodes, durationMs),
  stop: (cluster, _f, nodes) => onEach(nodes, (n) => cluster.clock(n, { kind: 'reset' })),
  startEvent: (id, f, aim): NemesisEvent =>
    f.mode === 'bump'
      ? { f: 'clock-bump', value: { fault: id, nodes: aim.nodes, offset: f.offsetS } }
      : {
          f: 'clock-strobe',
          value: { fault: id, nodes: aim.nodes, offset: f.offsetS, periodMs: f.periodMs },
        },
  stopEvent: (id, _f, nodes) => ({ f: 'clock-reset', value: { fault: id, nodes: [...nodes] } }),
  readStart: (f, value) =>
    f === 'clock-bump'
      ? `bump ${signed(Number(value.offset))} s`
      : f === 'clock-strobe'
        ? `strobe ${signed(Number(value.offset))} s / ${value.periodMs} ms`
        : undefined,
};
