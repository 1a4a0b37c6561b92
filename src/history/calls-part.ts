/**
 * A JSONL file's calls read in two parts at once, on two cores: this thread reads up to a line
 * start near the middle, a worker the rest. The worker cannot know what each process was doing
 * at its part's start, so it keeps the completions of calls invoked before it (`carried`) and
 * notes the processes whose first event in it is an invocation (`idleAtStart`); joining checks
 * both against the first part's final state, and that the first part counted exactly as many
 * events as the second's first index, so the pair checks all that one reader checks.
 */
import type { CallColumns, EncodedCalls } from './calls.js';
import { Pairing } from './jsonl.js';
import { scanJsonlPart, scanJsonlStream } from './jsonl-stream.js';
import type { ReadBytes } from './line-stream.js';
import type { Op } from './op.js';

/** What the later part's reader found, ready to send to the first part's thread. */
export interface LaterPart {
  calls: EncodedCalls;
  events: number;
  firstIndex: number;
  carried: Op[];
  idleAtStart: number[];
}

/** The pairing rules from a part's start, where each process's state is still unknown. */
class PartPairing {
  private readonly pairing = new Pairing();
  private readonly seen = new Set<number>();
  readonly carried: Op[] = [];
  readonly idleAtStart: number[] = [];

  constructor(private readonly calls: CallColumns) {}

  accept(op: Op): boolean {
    const p = op.process;
    if (p !== 'nemesis' && !this.seen.has(p)) {
      this.seen.add(p);
      if (op.type !== 'invoke') {
        this.carried.push(op);
        if (op.type === 'info') this.pairing.retire(p);
        return true;
      }
      this.idleAtStart.push(p);
    }
    return this.pairing.accept(op) && this.calls.take(op);
  }
}

/** Reads a later part (from a line's start); undefined when the reader gave up. */
export function readLaterPart(read: ReadBytes, calls: CallColumns, maxBytes: number): LaterPart | undefined {
  const pairing = new PartPairing(calls);
  const done = scanJsonlPart(read, (op) => pairing.accept(op), { maxBytes });
  if (done === undefined) return undefined;
  return { calls: calls.encode(), ...done, carried: pairing.carried, idleAtStart: pairing.idleAtStart };
}

/** Reads the first part with the usual rules; its pairing state is kept for the join. */
export function readFirstPart(read: ReadBytes, calls: CallColumns, maxBytes: number) {
  const pairing = new Pairing();
  const events = scanJsonlStream(read, (op) => calls.take(op), { maxBytes }, pairing);
  return events === undefined ? undefined : { events, pairing };
}

/**
 * Joins the later part onto the first: its carried completions complete the first part's open
 * calls (same process, f and key, as one reader requires), its processes that start idle must
 * be idle there. The count of all events, or undefined when the parts do not join.
 */
export function joinParts(
  calls: CallColumns,
  first: { events: number; pairing: Pairing },
  later: LaterPart,
): number | undefined {
  if (later.events > 0 && later.firstIndex !== first.events) return undefined;
  for (const op of later.carried) if (!first.pairing.accept(op) || !calls.take(op)) return undefined;
  for (const p of later.idleAtStart) if (!first.pairing.idle(p)) return undefined;
  calls.append(later.calls);
  return first.events + later.events;
}
