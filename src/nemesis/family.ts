/**
 * A fault family (a nemesis kind): how it draws a fault from the seeded stream, starts and
 * stops it on a cluster, records it in the history, reads it back and describes it. One file
 * per family; registry.ts lists them; the schedule, the worker and the recorder iterate over
 * the registry and know no family by name.
 */
import type { Value } from '../history/op.js';
import type { Rng } from '../runner/rng.js';
import type { Cluster, FaultKind, Grudge } from '../runtime/cluster.js';
import { onEach } from './act.js';
import { applicableTargets, describeNodeSet, resolveNodes, selectNodes } from './nodes.js';
import type { NodeSet, NodeTarget } from './types.js';

/** What every fault carries: the family that made it. */
export interface FaultBase {
  family: string;
}

/** Where a started fault landed: its nodes (primaries resolved) and, for partitions, the grudge. */
export interface Aim {
  nodes: string[];
  grudge?: Grudge;
}

/** One history event of a fault (process "nemesis", type info). */
export interface NemesisEvent {
  f: string;
  value: { [field: string]: Value };
}

export interface DrawContext {
  /** Node names, in the cluster's order. */
  nodes: readonly string[];
  /** Whether the target has primaries (etcd's leader, Redis's master) to aim at. */
  hasPrimary: boolean;
}

export interface FaultFamily<F extends FaultBase = FaultBase, C = unknown> {
  /** As named on the command line (`--nemesis partition,kill`). */
  readonly name: F['family'];
  /** The cluster abilities it uses (a runtime or target may lack one, and says why). */
  readonly needs: readonly FaultKind[];
  /** Families of one group never overlap (they share a mechanism and one heal). */
  readonly group: string;
  /** Overlaps no other family (a paused node would hide what the others do). */
  readonly exclusive?: boolean;
  /** How faults are drawn unless the run says otherwise. */
  readonly defaults: C;
  /** Draws one fault; throws, saying why, when none applies to these nodes. */
  draw(rng: Rng, context: DrawContext, choices: C): F;
  /** A short human description ("kill minority n2"). */
  describe(fault: F): string;
  /** Whether aiming needs the current primaries (asked of the running cluster). */
  needsPrimaries(fault: F): boolean;
  aim(fault: F, nodes: readonly string[], primaries: readonly string[]): Aim;
  /** Starts the fault; resolves with one message per node (or call) that failed. */
  start(cluster: Cluster, fault: F, aim: Aim, durationMs: number): Promise<string[]>;
  stop(cluster: Cluster, fault: F, nodes: readonly string[]): Promise<string[]>;
  startEvent(id: number, fault: F, aim: Aim): NemesisEvent;
  stopEvent(id: number, fault: F, nodes: readonly string[]): NemesisEvent;
  /** This family's detail ("minority", "bump +5 s") when a start event is its own, else undefined. */
  readStart(f: string, value: { [field: string]: Value }): string | undefined;
  /** The final heal record's field for nodes this family left broken ("started", "resumed"). */
  readonly healedField?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: a list of families with different fault types
export type AnyFamily = FaultFamily<any, any>;

/** A fault aimed at a set of nodes (everything but partitions). */
export interface NodeFault extends FaultBase {
  target: NodeTarget;
  on: NodeSet;
}

/** Picks a node target among the usable ones, then the nodes. */
export function drawNodes(
  family: string,
  targets: readonly NodeTarget[],
  { nodes, hasPrimary }: DrawContext,
  rng: Pick<Rng, 'int'>,
): { target: NodeTarget; on: NodeSet } {
  const usable = applicableTargets(targets, nodes.length, hasPrimary);
  if (usable.length === 0) throw new Error(`${family}: no usable target among ${targets.join(', ')}`);
  const target = usable[rng.int(usable.length)]!;
  return { target, on: selectNodes(target, nodes, rng) };
}

/** The aiming shared by node faults: concrete nodes, or the primaries found at run time. */
export const nodeAiming = {
  needsPrimaries: (fault: NodeFault) => 'primaries' in fault.on,
  aim: (fault: NodeFault, _nodes: readonly string[], primaries: readonly string[]): Aim => ({
    nodes: resolveNodes(fault.on, primaries),
  }),
};

export const onNodes = onEach;
export const describeOn = (fault: NodeFault) => describeNodeSet(fault.on);

/** "+5" / "-3". */
export const signed = (n: number) => (n >= 0 ? `+${n}` : `${n}`);

/**
 * A process fault that acts on each node and is undone per node (kill/start, pause/resume):
 * the two differ only in names and in the cluster calls.
 */
export function processFamily<N extends 'kill' | 'pause'>(spec: {
  name: N;
  undo: string;
  healedField: string;
  exclusive?: boolean;
  defaults: { targets: readonly NodeTarget[] };
  act(cluster: Cluster, node: string): Promise<void>;
  undoAct(cluster: Cluster, node: string): Promise<void>;
}): FaultFamily<NodeFault & { family: N }, { targets: readonly NodeTarget[] }> {
  return {
    name: spec.name,
    needs: [spec.name],
    group: spec.name,
    exclusive: spec.exclusive,
    defaults: spec.defaults,
    healedField: spec.healedField,
    draw: (rng, ctx, choices) => ({ family: spec.name, ...drawNodes(spec.name, choices.targets, ctx, rng) }),
    describe: (f) => `${spec.name} ${f.target} ${describeOn(f)}`,
    ...nodeAiming,
    start: (cluster, _f, aim) => onEach(aim.nodes, (n) => spec.act(cluster, n)),
    stop: (cluster, _f, nodes) => onEach(nodes, (n) => spec.undoAct(cluster, n)),
    startEvent: (id, f, aim) => ({ f: spec.name, value: { fault: id, target: f.target, nodes: aim.nodes } }),
    stopEvent: (id, f, nodes) => ({
      f: spec.undo,
      value: { fault: id, target: f.target, nodes: [...nodes] },
    }),
    readStart: (f, value) => (f === spec.name ? String(value.target ?? '') : undefined),
  };
}
