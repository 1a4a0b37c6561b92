/**
 * The replica-local state of faultline's reference store: a map of versioned values, where a
 * version is (wall-clock milliseconds, per-node sequence, node id) and the highest version
 * wins (last-write-wins). The wall clock is whatever the process sees, so a node whose clock
 * is skewed (libfaketime) stamps its writes wrongly: the weakness the checkers must catch.
 */

export type Version = [ms: number, seq: number, node: string];

export interface Versioned {
  value: unknown;
  version: Version;
}

export function compareVersions(a: Version, b: Version): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  if (a[1] !== b[1]) return a[1] - b[1];
  return a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0;
}

/** The newest of several (absent entries count as oldest). */
export function newest(entries: (Versioned | undefined)[]): Versioned | undefined {
  let best: Versioned | undefined;
  for (const e of entries) if (e && (!best || compareVersions(e.version, best.version) > 0)) best = e;
  return best;
}

export class Replica {
  private readonly data = new Map<string, Versioned>();
  private seq = 0;

  constructor(
    readonly node: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** A fresh version stamped with this node's wall clock. */
  stamp(): Version {
    return [this.now(), ++this.seq, this.node];
  }

  get(key: string): Versioned | undefined {
    return this.data.get(key);
  }

  /** Applies a versioned write if it is newer than what is held; returns whether it was. */
  apply(key: string, entry: Versioned): boolean {
    const current = this.data.get(key);
    if (current && compareVersions(entry.version, current.version) <= 0) return false;
    this.data.set(key, entry);
    return true;
  }

  get size(): number {
    return this.data.size;
  }
}

/** The N replicas of a key among the nodes: consecutive nodes from the key's hash (a ring). */
export function preferenceList(key: string, nodes: readonly string[], n: number): string[] {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619) >>> 0;
  const start = h % nodes.length;
  return Array.from({ length: Math.min(n, nodes.length) }, (_, i) => nodes[(start + i) % nodes.length]!);
}

export const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
