/** The fault families `--nemesis` knows, in the order they are listed. One line each. */

import type { FaultKind } from '../runtime/cluster.js';
import { bounceFamily } from './bounce.js';
import { clockFamily } from './clock.js';
import type { AnyFamily } from './family.js';
import { killFamily } from './kill.js';
import { latencyFamily } from './latency.js';
import { lossFamily } from './loss.js';
import { partitionFamily } from './partition.js';
import { pauseFamily } from './pause.js';

export const FAMILIES = [
  partitionFamily,
  killFamily,
  pauseFamily,
  clockFamily,
  lossFamily,
  latencyFamily,
  bounceFamily,
] as const;

/** One fault of any registered family. */
export type Fault = ReturnType<(typeof FAMILIES)[number]['draw']>;

const byName = new Map<string, AnyFamily>(FAMILIES.map((f) => [f.name, f]));

export function familyOf(name: string): AnyFamily {
  const family = byName.get(name);
  if (!family) throw new Error(`unknown fault family "${name}" (known: ${[...byName.keys()].join(', ')})`);
  return family;
}

export const familyNames = (): string[] => [...byName.keys()];

/** The cluster abilities a set of families uses (what runtimes and targets are asked about). */
export function abilitiesOf(families: readonly string[]): FaultKind[] {
  return [...new Set(families.flatMap((f) => familyOf(f).needs))];
}
