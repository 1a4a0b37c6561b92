/**
 * Attaches to each refuted key's evidence its minimal witness and the anomaly in plain words,
 * within a time budget shared by all keys (the verdict is already decided; this only explains).
 */
import type { Key } from '../../history/op.js';
import type { Operation } from '../../history/operations.js';
import { type AnomalyKind, classify } from './classify.js';
import type { Model } from './model.js';
import { opRef } from './op-ref.js';
import { type RegisterView, registerView } from './register-view.js';
import { shrinkWitness } from './witness.js';

/** A witness operation: what the evidence says of it, with its times (ns) and node. */
export interface WitnessOp {
  process: number;
  f: string;
  type: 'ok' | 'fail' | 'info';
  value: unknown;
  output: unknown;
  invokeIndex: number;
  completionIndex: number | null;
  description: string;
  /** Invocation and completion times, ns since the run began (end null: never completed). */
  start: number;
  end: number | null;
  node?: string;
}

export interface KeyWitness {
  /** Operations that alone cannot be linearized, in call order. */
  ops: WitnessOp[];
  /** True when dropping any one of them (and what then lacks a source) leaves an order. */
  minimal: boolean;
  anomaly: {
    kind: AnomalyKind;
    title: string;
    explanation: string;
    /** Invocation event indices of the operations the explanation names. */
    ops: number[];
  };
  /** Candidates checked, and the time the shrinking took. */
  tests: number;
  ms: number;
}

export interface ExplainOptions {
  /** Total time for all keys' witnesses (default 3000 ms); each key gets at most `perKeyMs`. */
  budgetMs?: number;
  perKeyMs?: number;
}

/** The evidence fields this module fills in. */
export interface Explainable {
  key: Key | null;
  valid: false | 'unknown';
  op?: { invokeIndex: number };
  witness?: KeyWitness;
  /** Why there is no witness (model without one, or no small set found in time). */
  witnessNote?: string;
}

export function witnessOp(model: Model, op: Operation): WitnessOp {
  const out: WitnessOp = {
    ...opRef(model, op),
    start: op.invoke.time,
    end: op.completion ? op.completion.time : null,
  };
  const node = op.invoke.node ?? op.completion?.node;
  if (node !== undefined) out.node = node;
  return out;
}

/** The witness of one refuted key, or a note saying why there is none. */
export function explainKey(
  model: Model,
  ops: readonly Operation[],
  stuckCall: number | undefined,
  budgetMs: number,
): KeyWitness | string {
  const started = performance.now();
  const view = registerView(model, ops);
  if (!view) return `no minimal witness for the ${model.name} model (registers only)`;
  const shrunk = shrinkWitness(view, model, stuckCall, budgetMs);
  if (!shrunk) return `no smaller set of operations was shown non-linearizable within ${budgetMs} ms`;
  return toWitness(model, view, shrunk.ops, shrunk.minimal, shrunk.tests, performance.now() - started);
}

function toWitness(
  model: Model,
  view: RegisterView,
  idx: number[],
  minimal: boolean,
  tests: number,
  ms: number,
): KeyWitness {
  const a = classify(view, idx);
  return {
    ops: idx.map((i) => witnessOp(model, view.ops[i]!)),
    minimal,
    anomaly: { ...a, ops: a.ops.map((i) => view.ops[i]!.callIndex) },
    tests,
    ms,
  };
}

/** Fills `witness` (or `witnessNote`) on every refuted key's evidence, within the budget. */
export function explainFailures(
  model: Model,
  failures: Explainable[],
  opsOfKey: (key: Key | null) => readonly Operation[] | undefined,
  options: ExplainOptions = {},
): void {
  const deadline = performance.now() + (options.budgetMs ?? 3000);
  const perKey = options.perKeyMs ?? 1500;
  for (const f of failures) {
    if (f.valid !== false) continue;
    const left = Math.min(perKey, deadline - performance.now());
    const ops = opsOfKey(f.key);
    if (left <= 0 || !ops) {
      f.witnessNote = 'no time left to shrink this key';
      continue;
    }
    const w = explainKey(model, ops, f.op?.invokeIndex, left);
    if (typeof w === 'string') f.witnessNote = w;
    else f.witness = w;
  }
}
