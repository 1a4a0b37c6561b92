/**
 * The replica-local state of faultline's reference store. Per key a replica holds the newest
 * versioned value it accepted and, for the Paxos-style rounds of the correct mode, the highest
 * ballot it promised. Versions and ballots are one type, compared as (counter, seq, node):
 *   wall clock     counter = local wall-clock milliseconds, seq = per-process sequence: a node
 *                  whose clock is skewed (libfaketime) stamps its writes wrongly;
 *   logical clock  counter = one more than the highest counter seen (Lamport), seq = this
 *                  process's incarnation, so a restarted node never reissues a version it may
 *                  have used before it died.
 */

export type Version = [counter: number, seq: number, node: string];

export interface Versioned {
  value: unknown;
  version: Version;
}

/** What a replica holds for one key. */
export interface Slot {
  entry?: Versioned;
  promise?: Version;
}

/** A replica's answer to an accept: whether the version was at or above its promise. */
export interface AcceptAnswer {
  ok: boolean;
  applied: boolean;
  promise?: Version;
}

/** A replica's answer to a prepare or a query: what it holds, and whether it promised. */
export interface PrepareAnswer {
  ok: boolean;
  entry?: Versioned;
  promise?: Version;
}

export function compareVersions(a: Version, b: Version): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  if (a[1] !== b[1]) return a[1] - b[1];
  return a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0;
}

const older = (a: Version | undefined, b: Version) => a === undefined || compareVersions(a, b) < 0;

/** The newest of several (absent entries count as oldest). */
export function newest(entries: (Versioned | undefined)[]): Versioned | undefined {
  let best: Versioned | undefined;
  for (const e of entries) if (e && (!best || compareVersions(e.version, best.version) > 0)) best = e;
  return best;
}

/** Where a replica's changes go before it answers (see log.ts); absent when in memory only. */
export interface SlotSink {
  write(key: string, slot: Slot): void;
}

export class Replica {
  private readonly data = new Map<string, Slot>();
  private seq = 0;
  /** The highest version counter this replica has seen (the Lamport clock). */
  maxCounter = 0;

  constructor(
    readonly node: string,
    private readonly now: () => number = Date.now,
    readonly incarnation = 0,
    private readonly sink?: SlotSink,
  ) {}

  /** A fresh version stamped with this node's wall clock. */
  stamp(): Version {
    return [this.now(), ++this.seq, this.node];
  }

  /** A fresh ballot above every counter seen (and above `atLeast`): the logical clock. */
  ballot(atLeast = 0): Version {
    this.maxCounter = Math.max(this.maxCounter, atLeast) + 1;
    return [this.maxCounter, this.incarnation, this.node];
  }

  observe(v: Version | undefined): void {
    if (v && v[0] > this.maxCounter && Number.isFinite(v[0])) this.maxCounter = v[0];
  }

  get(key: string): Versioned | undefined {
    return this.data.get(key)?.entry;
  }

  promiseOf(key: string): Version | undefined {
    return this.data.get(key)?.promise;
  }

  /** Loads a slot from durable storage at start-up. */
  restore(key: string, slot: Slot): void {
    this.data.set(key, slot);
    this.observe(slot.entry?.version);
    this.observe(slot.promise);
  }

  /**
   * Accepts a versioned value unless a higher ballot was promised; keeps it only if newer than
   * what is held (last-write-wins). A replica never promised anything accepts every newer write.
   */
  accept(key: string, entry: Versioned): AcceptAnswer {
    this.observe(entry.version);
    const slot = this.data.get(key) ?? {};
    if (slot.promise && compareVersions(entry.version, slot.promise) < 0) {
      return { ok: false, applied: false, promise: slot.promise };
    }
    if (!older(slot.entry?.version, entry.version)) return { ok: true, applied: false };
    this.update(key, { ...slot, entry });
    return { ok: true, applied: true };
  }

  /** The old API: a last-write-wins apply; true when it replaced what was held. */
  apply(key: string, entry: Versioned): boolean {
    return this.accept(key, entry).applied;
  }

  /** Paxos phase 1: promise to accept nothing below `ballot`, if nothing higher was promised. */
  prepare(key: string, ballot: Version): PrepareAnswer {
    this.observe(ballot);
    const slot = this.data.get(key) ?? {};
    if (slot.promise && compareVersions(ballot, slot.promise) <= 0) {
      return { ok: false, entry: slot.entry, promise: slot.promise };
    }
    this.update(key, { ...slot, promise: ballot });
    return { ok: true, entry: slot.entry };
  }

  private update(key: string, slot: Slot): void {
    this.data.set(key, slot);
    this.sink?.write(key, slot);
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
