/**
 * Network partitions as grudges (node → nodes whose traffic it drops), Jepsen's shapes:
 *
 *   halves           the node list cut in two, the smaller half first ([n1] | [n2 n3]);
 *   random-halves    the same after a seeded shuffle;
 *   one              one random node isolated from all others;
 *   primary          the current primary (etcd leader, Redis master) isolated, found at run time;
 *   majorities-ring  every node sees a majority, and no two nodes see the same one
 *                    (with 3 nodes: one pair cut, the third node sees both);
 *   bridge           two halves that cannot talk, and one node in the middle that sees both.
 *
 * Every grudge here is symmetric (a drops b ⇔ b drops a): the runtime drops incoming packets
 * (iptables INPUT), and a one-way drop breaks TCP both ways anyway.
 */
import { match } from 'ts-pattern';
import type { Rng } from '../runner/rng.js';
import type { Grudge } from '../runtime/cluster.js';
import { once } from './act.js';
import type { FaultFamily } from './family.js';
import { majority, shuffle, sortNodes } from './nodes.js';
import { PARTITION_KINDS, type PartitionKind } from './types.js';

export interface PartitionFault {
  family: 'partition';
  kind: PartitionKind;
  /** The grudge; null for `primary`, computed at run time once the primary is known. */
  grudge: Grudge | null;
}

/** Normalised: nodes that drop nothing are left out; lists sorted; keys in node order. */
export function normalizeGrudge(grudge: Grudge): Grudge {
  const out: Grudge = {};
  for (const node of sortNodes(Object.keys(grudge))) {
    const drops = sortNodes(new Set(grudge[node] ?? []));
    if (drops.length > 0) out[node] = drops;
  }
  return out;
}

/** Each node drops every node outside its own component. */
export function completeGrudge(components: readonly (readonly string[])[]): Grudge {
  const grudge: Grudge = {};
  for (const component of components) {
    const inside = new Set(component);
    const outside = components.flat().filter((n) => !inside.has(n));
    for (const node of component) grudge[node] = outside;
  }
  return normalizeGrudge(grudge);
}

/** Splits a list in two, the first part the smaller: [n1] [n2 n3]. */
export function bisect<T>(items: readonly T[]): [T[], T[]] {
  const cut = Math.floor(items.length / 2);
  return [items.slice(0, cut), items.slice(cut)];
}

export function halvesGrudge(nodes: readonly string[]): Grudge {
  return completeGrudge(bisect(nodes));
}

export function randomHalvesGrudge(nodes: readonly string[], rng: Pick<Rng, 'int'>): Grudge {
  return completeGrudge(bisect(shuffle(nodes, rng)));
}

/** Each isolated node alone; the rest together. */
export function isolateGrudge(nodes: readonly string[], isolated: readonly string[]): Grudge {
  const alone = new Set(isolated);
  const rest = nodes.filter((n) => !alone.has(n));
  return completeGrudge([...[...alone].map((n) => [n]), rest]);
}

/**
 * Every node keeps a majority (itself included) in view and no two nodes share the same view.
 * On a seeded ring, a pair stays connected when its ring distance is at most d, the smallest
 * d with 1 + 2d ≥ majority. Three nodes cannot do this symmetrically: one pair is cut, the
 * third node sees both (each node still sees a majority).
 */
export function majoritiesRingGrudge(nodes: readonly string[], rng: Pick<Rng, 'int'>): Grudge {
  const n = nodes.length;
  if (n < 3) throw new Error(`majorities-ring needs at least 3 nodes (got ${n})`);
  const ring = shuffle(nodes, rng);
  if (n === 3) return completeCut([[ring[0]!, ring[2]!]]);
  const d = Math.ceil((majority(n) - 1) / 2);
  const cuts: [string, string][] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const distance = Math.min(j - i, n - (j - i));
      if (distance > d) cuts.push([ring[i]!, ring[j]!]);
    }
  }
  return completeCut(cuts);
}

/** Two halves that drop each other, with one node between them that both still see. */
export function bridgeGrudge(nodes: readonly string[], rng: Pick<Rng, 'int'>): Grudge {
  const n = nodes.length;
  if (n < 3) throw new Error(`bridge needs at least 3 nodes (got ${n})`);
  const order = shuffle(nodes, rng);
  const middle = Math.floor(n / 2);
  const left = order.slice(0, middle);
  const right = order.slice(middle + 1);
  const grudge: Grudge = {};
  for (const a of left) grudge[a] = right;
  for (const b of right) grudge[b] = left;
  return normalizeGrudge(grudge);
}

/** A grudge that cuts exactly the given pairs, both ways. */
function completeCut(pairs: readonly (readonly [string, string])[]): Grudge {
  const grudge: Record<string, string[]> = {};
  for (const [a, b] of pairs) {
    grudge[a] = [...(grudge[a] ?? []), b];
    grudge[b] = [...(grudge[b] ?? []), a];
  }
  return normalizeGrudge(grudge);
}

/** Whether a and b can exchange packets under this grudge (neither drops the other). */
export function connected(grudge: Grudge, a: string, b: string): boolean {
  return !(grudge[a]?.includes(b) || grudge[b]?.includes(a));
}

/** The nodes a node can still talk to, itself included. */
export function view(grudge: Grudge, nodes: readonly string[], node: string): string[] {
  return nodes.filter((other) => other === node || connected(grudge, node, other));
}

/** Nodes that drop something (what an interval lists for a partition). */
export function grudgeNodes(grudge: Grudge): string[] {
  return sortNodes(Object.keys(normalizeGrudge(grudge)));
}

/** The shapes that exist for n nodes (bridge and majorities-ring need 3, primary a primary). */
export function applicablePartitionKinds(
  wanted: readonly PartitionKind[],
  n: number,
  hasPrimary: boolean,
): PartitionKind[] {
  return wanted.filter((kind) =>
    match(kind)
      .with('halves', 'random-halves', 'one', () => n >= 2)
      .with('primary', () => hasPrimary && n >= 2)
      .with('majorities-ring', 'bridge', () => n >= 3)
      .exhaustive(),
  );
}

/**
 * A partition fault of the given shape. Random choices (which node, the shuffle) are drawn
 * now, from the schedule's stream; `primary` is left for run time.
 */
export function partitionFault(
  kind: PartitionKind,
  nodes: readonly string[],
  rng: Pick<Rng, 'int'>,
): PartitionFault {
  const grudge = match(kind)
    .with('halves', () => halvesGrudge(nodes))
    .with('random-halves', () => randomHalvesGrudge(nodes, rng))
    .with('one', () => isolateGrudge(nodes, [nodes[rng.int(nodes.length)]!]))
    .with('primary', () => null)
    .with('majorities-ring', () => majoritiesRingGrudge(nodes, rng))
    .with('bridge', () => bridgeGrudge(nodes, rng))
    .exhaustive();
  return { family: 'partition', kind, grudge };
}

/** The grudge to apply now: the scheduled one, or the current primaries isolated. */
export function resolveGrudge(
  fault: PartitionFault,
  nodes: readonly string[],
  primaries: readonly string[],
): Grudge {
  if (fault.grudge) return fault.grudge;
  if (primaries.length === 0) throw new Error('no primary found to isolate');
  return isolateGrudge(nodes, primaries);
}

const grudgeValue = (g: Grudge): { [node: string]: string[] } => ({ ...g });

export const partitionFamily: FaultFamily<PartitionFault, { kinds: readonly PartitionKind[] }> = {
  name: 'partition',
  needs: ['partition'],
  group: 'network',
  defaults: { kinds: PARTITION_KINDS },
  draw(rng, { nodes, hasPrimary }, { kinds: wanted }) {
    const kinds = applicablePartitionKinds(wanted, nodes.length, hasPrimary);
    if (kinds.length === 0) {
      throw new Error(
        `partition: none of ${wanted.join(', ')} applies to ${nodes.length} node(s)${hasPrimary ? '' : ' without a primary'}`,
      );
    }
    return partitionFault(kinds[rng.int(kinds.length)]!, nodes, rng);
  },
  describe: (f) => `partition ${f.kind}${f.grudge ? ` ${JSON.stringify(f.grudge)}` : ''}`,
  needsPrimaries: (f) => f.grudge === null,
  aim(f, nodes, primaries) {
    const grudge = resolveGrudge(f, nodes, primaries);
    return { nodes: sortNodes(Object.keys(grudge)), grudge };
  },
  start: (cluster, _f, aim) => once(() => cluster.partition(aim.grudge ?? {})),
  stop: (cluster) => once(() => cluster.heal()),
  startEvent(id, f, aim) {
    const g = aim.grudge ?? f.grudge ?? {};
    return {
      f: 'partition',
      value: { fault: id, kind: f.kind, grudge: grudgeValue(g), nodes: grudgeNodes(g) },
    };
  },
  stopEvent: (id, _f, nodes) => ({ f: 'heal', value: { fault: id, of: 'partition', nodes: [...nodes] } }),
  readStart: (f, value) => (f === 'partition' ? String(value.kind ?? '') : undefined),
};
