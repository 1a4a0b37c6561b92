/**
 * Names a register witness's anomaly in plain words where a known pattern fits: a read of a value
 * no one wrote, a compare-and-set that succeeded twice from one write (not atomic), a lost write
 * (acknowledged, never seen, while the value it overwrote still was), a stale read (a value
 * already overwritten when the read began). Otherwise: no order explains the operations.
 */
import type { Operation } from '../../history/operations.js';
import { show } from './models/values.js';
import { firstOkWriterAfter, latestWriter, possibleSources, type RegisterView } from './register-view.js';

export type AnomalyKind = 'never-written' | 'non-atomic-cas' | 'lost-write' | 'stale-read' | 'unexplained';

export interface Anomaly {
  kind: AnomalyKind;
  /** A few words: "stale read". */
  title: string;
  /** One or two sentences naming the operations, processes, nodes and times. */
  explanation: string;
  /** The operations the explanation names (indices into the view), in call order. */
  ops: number[];
}

const TITLES: Record<AnomalyKind, string> = {
  'never-written': 'read of a never-written value',
  'non-atomic-cas': 'non-atomic (or double-applied) compare-and-set',
  'lost-write': 'lost write',
  'stale-read': 'stale read',
  unexplained: 'no order explains these operations',
};

const seconds = (ns: number) => `${(ns / 1e9).toFixed(3)} s`;

/** "process 3 on n2 (1.200–1.250 s, events 40–43)"; times left out when the history has none. */
export function whoWhen(op: Operation): string {
  const node = op.invoke.node ?? op.completion?.node;
  const done = op.type === 'ok' && op.completion !== undefined;
  const end = op.completion?.time ?? 0;
  // Imported histories without clocks number their events as times: no seconds to show.
  const timed = op.invoke.time >= 1e6 || end >= 1e6;
  const span = timed ? `${seconds(op.invoke.time)}${done ? `–${seconds(end)}` : ' on'}, ` : '';
  const events = `events ${op.callIndex}–${done ? op.returnIndex : '…'}`;
  return `process ${op.process}${node ? ` on ${node}` : ''} (${span}${events}${done ? '' : ', never acknowledged'})`;
}

const verb = (op: Operation) =>
  op.f === 'read' ? 'read' : op.f === 'write' ? 'written' : 'set by compare-and-set';

function neverWritten(v: RegisterView, w: number[]): Anomaly | undefined {
  for (const i of w) {
    const need = v.needs[i]!;
    if (!v.ok[i] || need < 0 || need === v.initial) continue;
    const writers = [...(v.writersOf[need] ?? [])].filter((j) => j !== i);
    if (writers.some((j) => v.call[j]! < v.ret[i]!)) continue;
    const op = v.ops[i]!;
    const later = writers.length
      ? `; the first write of it began only at ${seconds(v.ops[writers[0]!]!.invoke.time)}`
      : '';
    return {
      kind: 'never-written',
      title: TITLES['never-written'],
      explanation: `${op.f === 'read' ? 'A read' : 'A compare-and-set'} by ${whoWhen(op)} saw ${show(v.values[need])}, a value no operation had written${later}.`,
      ops: [i],
    };
  }
  return undefined;
}

function nonAtomicCas(v: RegisterView, w: number[]): Anomaly | undefined {
  const byValue = new Map<number, number[]>();
  for (const i of w)
    if (v.ok[i] && v.ops[i]!.f === 'cas') byValue.set(v.needs[i]!, [...(byValue.get(v.needs[i]!) ?? []), i]);
  for (const [val, cas] of byValue) {
    if (cas.length < 2) continue;
    const writers = w.filter((j) => v.installs[j] === val && !cas.includes(j));
    if (writers.length + (val === v.initial ? 1 : 0) >= cas.length) continue;
    const from = show(v.values[val]);
    const source = writers.length
      ? ` (written once, by ${whoWhen(v.ops[writers[0]!]!)})`
      : ' (the initial value)';
    const list = cas.map((i) => `${whoWhen(v.ops[i]!)} → ${show(v.values[v.installs[i]!])}`).join('; ');
    return {
      kind: 'non-atomic-cas',
      title: TITLES['non-atomic-cas'],
      explanation: `${cas.length} compare-and-set operations from ${from} all succeeded, but ${from} was there only once${source}: ${list}. The compare-and-set is not atomic, or one was applied twice.`,
      ops: [...writers, ...cas].sort((a, b) => a - b),
    };
  }
  return undefined;
}

/** An ok read whose value had certainly been overwritten: a lost write when the overwrite was never seen. */
function overwrittenRead(v: RegisterView, w: number[]): Anomaly | undefined {
  for (const i of w) {
    if (!v.ok[i] || v.ops[i]!.f !== 'read') continue;
    const src = possibleSources(v, i);
    if (src.writers.length > 0 || src.init) continue;
    const j = latestWriter(v, i);
    const d = firstOkWriterAfter(v, j >= 0 ? v.ret[j]! : Number.NEGATIVE_INFINITY);
    if (d < 0) continue;
    const r = v.ops[i]!;
    const value = show(v.values[v.needs[i]!]);
    const newer = show(v.values[v.installs[d]!]);
    const older = j >= 0 ? `written by ${whoWhen(v.ops[j]!)}` : 'the initial value';
    const seen = w.some((k) => k !== d && v.needs[k] === v.installs[d]) || observed(v, v.installs[d]!);
    const kind: AnomalyKind = seen ? 'stale-read' : 'lost-write';
    const explanation = seen
      ? `A read by ${whoWhen(r)} returned ${value} (${older}), but ${whoWhen(v.ops[d]!)} had already replaced it with ${newer} before the read began.`
      : `The write of ${newer} by ${whoWhen(v.ops[d]!)} was acknowledged and then lost: no read ever returned it, and a read by ${whoWhen(r)} still returned the older ${value} (${older}).`;
    return {
      kind,
      title: TITLES[kind],
      explanation,
      ops: [j, d, i].filter((x) => x >= 0).sort((a, b) => a - b),
    };
  }
  return undefined;
}

/**
 * A lost write hidden by concurrency: an ok observer O (a read or a cas) found a, after an ok
 * write B of b was acknowledged. Every writer A of a is a compare-and-set from some p that only
 * values older than B could supply, so A cannot come after B (it would have found b): B came
 * after A, and overwrote a before O began. (Last-write-wins stores do this to concurrent writes.)
 */
function lostToEarlierCas(v: RegisterView, w: number[]): Anomaly | undefined {
  for (const o of w) {
    const a = v.needs[o]!;
    if (!v.ok[o] || a < 0) continue;
    const writersA = w.filter((j) => j !== o && v.installs[j] === a);
    if (writersA.length === 0 || !writersA.every((j) => v.ok[j] && v.ops[j]!.f === 'cas')) continue;
    for (const b of w) {
      const vb = v.installs[b]!;
      if (b === o || !v.ok[b] || vb < 0 || vb === a || !(v.ret[b]! < v.call[o]!)) continue;
      // After B, nothing in the witness puts back what A expects.
      const fromOnlyOlder = writersA.every((j) => {
        const p = v.needs[j]!;
        return p !== vb && w.every((k) => v.installs[k] !== p || v.ret[k]! < v.call[b]!);
      });
      if (!fromOnlyOlder) continue;
      const writer = v.ops[writersA[0]!]!;
      const from = show(v.values[v.needs[writersA[0]!]!]);
      return {
        kind: 'lost-write',
        title: TITLES['lost-write'],
        explanation: `The write of ${show(v.values[vb])} by ${whoWhen(v.ops[b]!)} was acknowledged and then lost: ${v.ops[o]!.f === 'read' ? 'a read' : 'a compare-and-set'} by ${whoWhen(v.ops[o]!)}, which began after it, still found ${show(v.values[a])}, set from ${from} by ${whoWhen(writer)}, which cannot have come after that write (it would have found ${show(v.values[vb])}).`,
        ops: [...new Set([...writersA, b, o])].sort((x, y) => x - y),
      };
    }
  }
  return undefined;
}

/** Whether any operation of the key needs value id `val`. */
function observed(v: RegisterView, val: number): boolean {
  for (let k = 0; k < v.n; k++) if (v.needs[k] === val) return true;
  return false;
}

/**
 * A read that returned b after an operation k that finished before it began had seen (or
 * written) a, when every write of b was done before k began: b was already overwritten.
 */
function backwardRead(v: RegisterView, w: number[]): Anomaly | undefined {
  for (const r2 of w) {
    if (!v.ok[r2] || v.ops[r2]!.f !== 'read') continue;
    const b = v.needs[r2]!;
    const wb = w.filter((j) => v.installs[j] === b && j !== r2);
    for (const k of w) {
      const a = v.ops[k]!.f === 'read' ? v.needs[k]! : v.installs[k]!;
      if (k === r2 || a < 0 || a === b || !(v.ret[k]! < v.call[r2]!)) continue;
      // Every write of b was done before k began, yet k saw a: a is newer than b.
      if (wb.length === 0 || !wb.every((x) => v.ret[x]! < v.call[k]!)) continue;
      const wa = w.filter((j) => v.installs[j] === a);
      const ops = [...new Set([...wb, ...wa, k, r2])].sort((x, y) => x - y);
      return {
        kind: 'stale-read',
        title: TITLES['stale-read'],
        explanation: `A read by ${whoWhen(v.ops[r2]!)} returned ${show(v.values[b])}, after ${whoWhen(v.ops[k]!)} had already ${verb(v.ops[k]!)} the newer ${show(v.values[a])}.`,
        ops,
      };
    }
  }
  return undefined;
}

/** The anomaly of a witness (indices into the view, in call order). */
export function classify(v: RegisterView, witness: number[]): Anomaly {
  return (
    neverWritten(v, witness) ??
    nonAtomicCas(v, witness) ??
    overwrittenRead(v, witness) ??
    backwardRead(v, witness) ??
    lostToEarlierCas(v, witness) ?? {
      kind: 'unexplained',
      title: TITLES.unexplained,
      explanation: `No order of these ${witness.length} operations is a legal history of the register, with each taking effect between its invocation and its completion.`,
      ops: witness.slice(),
    }
  );
}
