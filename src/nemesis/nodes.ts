/**
 * Choosing which nodes a fault hits: one, a minority, a majority, the primaries, all. Pure
 * functions over node names; the randomness comes from the schedule's seeded stream.
 */
import { match } from 'ts-pattern';
import type { Rng } from '../runner/rng.js';
import type { NodeSet, NodeTarget } from './types.js';

/** Fisher–Yates on a copy, driven by the seeded stream. */
export function shuffle<T>(items: readonly T[], rng: Pick<Rng, 'int'>): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export const majority = (n: number): number => Math.floor(n / 2) + 1;
/** The largest group that is not a majority (0 for one node). */
export const minority = (n: number): number => n - majority(n);

/** How many nodes a target hits in a cluster of n (primaries: unknown before the run). */
export function targetSize(target: Exclude<NodeTarget, 'primaries'>, n: number): number {
  return match(target)
    .with('one', () => Math.min(1, n))
    .with('minority', () => minority(n))
    .with('majority', () => majority(n))
    .with('all', () => n)
    .exhaustive();
}

/** The targets that make sense for n nodes (a minority of 2 is nobody, primaries need a primary). */
export function applicableTargets(
  wanted: readonly NodeTarget[],
  n: number,
  hasPrimary: boolean,
): NodeTarget[] {
  return wanted.filter((t) => (t === 'primaries' ? hasPrimary && n >= 1 : targetSize(t, n) >= 1));
}

/** Picks the nodes for a target; primaries stay symbolic until the run says who they are. */
export function selectNodes(target: NodeTarget, nodes: readonly string[], rng: Pick<Rng, 'int'>): NodeSet {
  if (target === 'primaries') return { primaries: true };
  const size = targetSize(target, nodes.length);
  return { nodes: sortNodes(shuffle(nodes, rng).slice(0, size)) };
}

/** Node names in natural order (n2 before n10). */
export function sortNodes(nodes: Iterable<string>): string[] {
  return [...nodes].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** The concrete nodes of a node set, given the primaries found at run time. */
export function resolveNodes(on: NodeSet, primaries: readonly string[]): string[] {
  return 'nodes' in on ? [...on.nodes] : sortNodes(primaries);
}

/** "n1,n3" or "primaries" (for messages). */
export function describeNodeSet(on: NodeSet): string {
  return 'nodes' in on ? on.nodes.join(',') : 'primaries';
}
