/**
 * The linearizability checker: options, P-compositionality, the search per key, and the
 * evidence a person needs to understand a failure.
 */

import type { CallGroups } from '../../history/calls.js';
import { InputError } from '../../history/errors.js';
import type { History, Key, Value } from '../../history/op.js';
import type { Call, Operation } from '../../history/operations.js';
import { pairOperations } from '../../history/operations.js';
import type { CallsCheckable, Checker, CheckOptions, CheckResult, Verdict } from '../types.js';
import { type ExplainOptions, explainFailures, type KeyWitness } from './explain.js';
import { type MemoBudget, memoBudget } from './memo.js';
import type { Model } from './model.js';
import { MODEL_NAMES, type ModelOptions, modelByName, show } from './models/index.js';
import { type EvidenceOp, type OpRef, opRef } from './op-ref.js';
import { plainOp, runOnWorker, workersAvailable } from './pool.js';
import { type Prepared, partitionByKey, prepare, validateGroups } from './prepare.js';
import { Interleaver } from './schedule.js';
import type { Algorithm, SearchOutcome } from './search/index.js';

export type { EvidenceOp, OpRef } from './op-ref.js';

export interface LinearizableOptions extends ModelOptions {
  /** A model name (see MODEL_NAMES) or a model object. */
  model: string | Model;
  /** Wall-clock budget; past it the verdict is 'unknown'. */
  timeLimitMs?: number;
  /** Cap on each key's memoization table, in MiB (default 1024). */
  memoLimitMb?: number;
  /** Keep checking the other keys after one is found not linearizable (default: stop). */
  allKeys?: boolean;
  /** Worker threads to share keys with (default 1, for this 2-core machine; 0: none). */
  workers?: number;
  /** Keys still unfinished after this long in this thread are shared with a worker (default 200). */
  parallelAfterMs?: number;
  /** Tuning: search steps each key gets before the next key's turn (doubling every round). */
  sliceSteps?: number;
  /** Tuning: keys with more operations than this are searched with a fingerprint memo first. */
  fingerprintAbove?: number;
  /**
   * 'auto' (default): registers whose written values are unique are decided by a polynomial
   * algorithm, everything else by the WGL search; 'wgl': always the WGL search.
   */
  algorithm?: 'auto' | 'wgl';
  /** Shrink each refuted register key to a minimal witness (default: on, 3 s in all); false: off. */
  witness?: boolean | ExplainOptions;
}

export interface Step {
  op: OpRef;
  /** The model state after this operation. */
  state: string;
}

export interface KeyVerdict {
  /** The key, or null for a history without keys. */
  key: Key | null;
  valid: Verdict | 'not-checked';
  /** Operations of this key the search had to place (failed ones and unknown reads left out). */
  ops: number;
  configs: number;
  ms: number;
  reason?: 'time-limit' | 'memory-limit';
  /** What decided this key: the WGL search, or the unique-writes algorithm for registers. */
  algorithm?: Algorithm;
}

/** Why a key is not linearizable (or why its check stopped). */
export interface KeyEvidence {
  key: Key | null;
  valid: false | 'unknown';
  reason?: 'time-limit' | 'memory-limit';
  /** The operation whose completion came before it could be linearized, at the deepest point. */
  op?: OpRef;
  /** Operations that could still have been linearized at that point. */
  concurrent: OpRef[];
  /** The longest partial linearizations found, each step with the state after it. */
  longest: Step[][];
  /** A handful of operations that alone cannot be linearized, and the anomaly in plain words. */
  witness?: KeyWitness;
  /** Why there is no witness. */
  witnessNote?: string;
}

interface ResultBody {
  valid: Verdict;
  model: string;
  operations: number;
  /** Per key, in order of first appearance (one entry with key null for unkeyed histories). */
  keys: KeyVerdict[];
  /** For each key not linearizable or unknown: the evidence. */
  failures: KeyEvidence[];
  configs: number;
  ms: number;
}

export interface LinearizabilityResult extends CheckResult, ResultBody {
  /** The discriminant the report renders by. */
  checker: 'linearizable';
  valid: Verdict;
  /** One or two lines for a person. */
  summary: string;
}

const DEFAULT_MEMO_MB = 1024;

/** Resolves the model option (a name or an object) with its options; InputError when bad. */
export function resolveModel(options: LinearizableOptions | CheckOptions): Model {
  const m = options.model;
  if (m !== null && typeof m === 'object') return m as Model;
  if (typeof m !== 'string' || m === '')
    throw new InputError(
      '--model',
      undefined,
      `the linearizable checker needs a model: ${MODEL_NAMES.join(', ')}`,
    );
  const nilRead = options.nilRead;
  if (nilRead !== undefined && nilRead !== 'absent' && nilRead !== 'unknown')
    throw new InputError('--nil-read', undefined, `must be "absent" or "unknown", not ${show(nilRead)}`);
  const failedCas = options.failedCas;
  if (failedCas !== undefined && failedCas !== 'drop' && failedCas !== 'mismatch')
    throw new InputError('--failed-cas', undefined, `must be "drop" or "mismatch", not ${show(failedCas)}`);
  const modelOptions: ModelOptions = {};
  if (options.initial !== undefined) modelOptions.initial = options.initial as Value;
  if (nilRead !== undefined) modelOptions.nilRead = nilRead;
  if (failedCas !== undefined) modelOptions.failedCas = failedCas;
  let model: Model | undefined;
  try {
    model = modelByName(m, modelOptions);
  } catch (e) {
    throw new InputError('--initial', undefined, (e as Error).message);
  }
  if (!model)
    throw new InputError('--model', undefined, `unknown model "${m}"; known: ${MODEL_NAMES.join(', ')}`);
  return model;
}

/** Turns a search outcome into evidence in terms of the history's operations. */
export function evidenceFor(
  model: Model,
  key: Key | null,
  outcome: SearchOutcome,
  ops: readonly EvidenceOp[],
  describeState: (s: number) => string,
): KeyEvidence {
  const ev: KeyEvidence = {
    key,
    valid: outcome.valid === 'unknown' ? 'unknown' : false,
    concurrent: (outcome.concurrent ?? []).map((i) => opRef(model, ops[i]!)),
    longest: outcome.longest.map((l) =>
      l.ops.map((i, j) => ({ op: opRef(model, ops[i]!), state: describeState(l.states[j]!) })),
    ),
  };
  if (outcome.reason) ev.reason = outcome.reason;
  if (outcome.stuck !== undefined) ev.op = opRef(model, ops[outcome.stuck]!);
  return ev;
}

const keyName = (key: Key | null) => (key === null ? '' : `key ${JSON.stringify(key)}: `);

function summarize(r: ResultBody): string {
  const keyed = r.keys.length > 1 || (r.keys.length === 1 && r.keys[0]!.key !== null);
  const scope = `${r.operations} operations${keyed ? ` over ${r.keys.length} keys` : ''}, model ${r.model}`;
  const byUnique = r.keys.filter((k) => k.algorithm === 'unique-writes').length;
  const how =
    byUnique === 0
      ? ''
      : byUnique === r.keys.length
        ? ', unique-writes algorithm'
        : `, ${byUnique} of ${r.keys.length} keys by the unique-writes algorithm`;
  const cost = `${r.configs} configurations${how}, ${r.ms.toFixed(0)} ms`;
  if (r.valid === true) return `linearizable: ${scope} (${cost})`;
  const bad = r.failures.find((f) => f.valid === false);
  if (r.valid === false && bad) {
    const longest = bad.longest[0]?.length ?? 0;
    const what = bad.op
      ? `${bad.op.description} (events ${bad.op.invokeIndex}–${bad.op.completionIndex ?? '∞'}) cannot be linearized`
      : 'no linearization';
    const w = bad.witness;
    const plain = w
      ? `\n${w.anomaly.title}: ${w.anomaly.explanation} (witness: ${w.ops.length} operations${w.minimal ? ', minimal' : ''})`
      : '';
    return `not linearizable: ${keyName(bad.key)}${what}; longest partial linearization ${longest} operations${plain}\n${scope} (${cost})`;
  }
  const unk = r.failures.find((f) => f.valid === 'unknown');
  const why = unk?.reason === 'memory-limit' ? 'memoization memory cap reached' : 'time limit reached';
  return `unknown: ${why}${unk ? ` on ${keyName(unk.key).replace(/: $/, '')}` : ''}\n${scope} (${cost})`;
}

interface Run {
  model: Model;
  started: number;
  deadline: number;
  budget: MemoBudget;
  operations: number;
  groups: [Key | undefined, Call[]][];
  /** A key's operations with their events, which witnesses need. */
  opsOfKey: OpsOfKey;
  prepared: Prepared<Call>[];
  keys: KeyVerdict[];
  failures: KeyEvidence[];
  cancel: Int32Array;
  il: Interleaver;
  explain: false | ExplainOptions;
}

/** What the checker reads: a history, its operations, or its calls split by key (calls.ts). */
export type LinearizableInput = History | readonly Operation[] | CallGroups;

type OpsOfKey = (key: Key | null) => readonly Operation[] | undefined;

const isCallGroups = (input: LinearizableInput): input is CallGroups =>
  !Array.isArray(input) && 'groups' in input;

/** The calls by key in order of first call, validated by the model, how many, and their events. */
function groupsOf(input: LinearizableInput, model: Model) {
  if (isCallGroups(input)) {
    validateGroups(input.groups, model);
    const groups = [...input.groups];
    const opsOfKey: OpsOfKey = (k) => input.operations(k === null ? undefined : k);
    return { groups, count: groups.reduce((a, [, g]) => a + g.length, 0), opsOfKey };
  }
  const all = Array.isArray(input)
    ? [...(input as readonly Operation[])].sort((a, b) => a.callIndex - b.callIndex)
    : pairOperations(input as History);
  const groups = [...partitionByKey(all, model)];
  const byKey = new Map(groups.map(([k, ops]) => [k === undefined ? null : k, ops]));
  return {
    groups: groups as [Key | undefined, Call[]][],
    count: all.length,
    opsOfKey: (k: Key | null) => byKey.get(k),
  };
}

function setup(input: LinearizableInput, options: LinearizableOptions): Run {
  const started = performance.now();
  if (!Array.isArray(input) && !isCallGroups(input) && (input as History).realTime === false)
    throw new InputError(
      'history',
      undefined,
      'linearizability needs real-time order, and this history has none (only per-process order)',
    );
  const model = resolveModel(options);
  const { groups, count, opsOfKey } = groupsOf(input, model);
  const limit = options.timeLimitMs;
  if (limit !== undefined && !(typeof limit === 'number' && limit >= 0))
    throw new InputError('--time-limit', undefined, `must be a number of seconds ≥ 0`);
  const deadline = limit === undefined ? Number.POSITIVE_INFINITY : started + limit;
  const budget = memoBudget((options.memoLimitMb ?? DEFAULT_MEMO_MB) * 2 ** 20);
  const prepared = groups.map(([, ops]) => prepare(model, ops));
  const keys: KeyVerdict[] = groups.map(([k], i) => ({
    key: k === undefined ? null : k,
    valid: 'not-checked',
    ops: prepared[i]!.problem.n,
    configs: 0,
    ms: 0,
  }));
  const failures: KeyEvidence[] = [];
  const sink = { model, keys, prepared, failures };
  const cancel = new Int32Array(new SharedArrayBuffer(4));
  const il = new Interleaver(
    prepared.map((p) => p.problem),
    {
      limits: {
        deadline,
        budget,
        ...(options.fingerprintAbove === undefined ? {} : { fingerprintAbove: options.fingerprintAbove }),
        uniqueWrites: options.algorithm !== 'wgl',
      },
      allKeys: options.allKeys === true,
      cancelled: () => Atomics.load(cancel, 0) === 1,
      ...(options.sliceSteps === undefined ? {} : { sliceSteps: options.sliceSteps }),
      onDone: (i, outcome, ms) => settleKey(sink, i, outcome, ms),
    },
  );
  return {
    model,
    started,
    deadline,
    budget,
    operations: count,
    groups,
    opsOfKey,
    prepared,
    keys,
    failures,
    cancel,
    il,
    explain: options.witness === false ? false : options.witness === true ? {} : (options.witness ?? {}),
  };
}

/** Puts a key's search outcome into its verdict. */
function settle(
  kv: KeyVerdict,
  outcome: Pick<SearchOutcome, 'valid' | 'configs' | 'reason' | 'algorithm'>,
  ms: number,
): void {
  kv.valid = outcome.valid;
  kv.configs = outcome.configs;
  kv.ms = ms;
  if (outcome.reason) kv.reason = outcome.reason;
  if (outcome.algorithm) kv.algorithm = outcome.algorithm;
}

/** Settles key `i` of a run checked here, with the evidence of a failure. */
function settleKey(
  run: Pick<Run, 'model' | 'keys' | 'prepared' | 'failures'>,
  i: number,
  outcome: SearchOutcome,
  ms: number,
): void {
  const kv = run.keys[i]!;
  settle(kv, outcome, ms);
  if (outcome.valid !== true) {
    const { problem, ops } = run.prepared[i]!;
    run.failures.push(evidenceFor(run.model, kv.key, outcome, ops, (s) => problem.kernel.describeState(s)));
  }
}

function result(run: Run): LinearizabilityResult {
  const { keys } = run;
  if (run.explain !== false) explainFailures(run.model, run.failures, run.opsOfKey, run.explain);
  const body: ResultBody = {
    valid: keys.some((k) => k.valid === false)
      ? false
      : keys.some((k) => k.valid === 'unknown' || k.valid === 'not-checked')
        ? 'unknown'
        : true,
    model: run.model.name,
    operations: run.operations,
    keys,
    failures: run.failures,
    configs: keys.reduce((a, k) => a + k.configs, 0),
    ms: performance.now() - run.started,
  };
  return { checker: 'linearizable', ...body, summary: summarize(body) };
}

/** Checks a history (or its paired operations) for linearizability, in this thread. */
export function checkLinearizableSync(
  input: LinearizableInput,
  options: LinearizableOptions,
): LinearizabilityResult {
  const run = setup(input, options);
  run.il.run();
  return result(run);
}

/**
 * Checks a history for linearizability. Keys still unfinished after `parallelAfterMs` are
 * split with a worker thread (compiled build only; otherwise everything runs in this thread).
 */
export async function checkLinearizable(
  input: LinearizableInput,
  options: LinearizableOptions,
): Promise<LinearizabilityResult> {
  const run = setup(input, options);
  const { il } = run;
  const canPool = (options.workers ?? 1) > 0 && typeof options.model === 'string' && workersAvailable();
  if (!canPool) {
    il.run();
    return result(run);
  }
  const t0 = performance.now();
  const after = options.parallelAfterMs ?? 200;
  // Only keys that are still running after their first step budgets are worth a thread.
  let lastLook = t0;
  il.run(() => {
    const now = performance.now();
    if (now - t0 < after || now - lastLook < 10) return false;
    lastLook = now;
    return il.hard().length >= 2;
  });
  const rest = il.hard();
  if (il.done || rest.length < 2) {
    il.run();
    return result(run);
  }
  // Give every other unfinished key (largest first) to a worker; keep the rest here.
  rest.sort((a, b) => run.keys[b]!.ops - run.keys[a]!.ops);
  const theirs = rest.filter((_, j) => j % 2 === 1);
  il.giveAway(theirs);
  const workerBytes = Math.max(64 * 2 ** 20, (run.budget.max - run.budget.used) / 2);
  run.budget.max -= workerBytes;
  const modelOptions: ModelOptions = {};
  if (options.initial !== undefined) modelOptions.initial = options.initial;
  if (options.nilRead !== undefined) modelOptions.nilRead = options.nilRead;
  if (options.failedCas !== undefined) modelOptions.failedCas = options.failedCas;
  const pending = runOnWorker({
    model: options.model as string,
    modelOptions,
    indices: theirs,
    keys: theirs.map((i) => run.keys[i]!.key),
    groups: theirs.map((i) => run.groups[i]![1].map(plainOp)),
    remainingMs: Number.isFinite(run.deadline) ? Math.max(0, run.deadline - performance.now()) : null,
    memoBytes: workerBytes,
    allKeys: options.allKeys === true,
    sliceSteps: options.sliceSteps,
    uniqueWrites: options.algorithm !== 'wgl',
    cancel: run.cancel.buffer as SharedArrayBuffer,
  }).catch(() => undefined);
  il.run();
  if (il.stopped && !options.allKeys && run.keys.some((k) => k.valid === false))
    Atomics.store(run.cancel, 0, 1);
  const res = await pending;
  if (res) {
    for (const { index, outcome, evidence } of res.keys) {
      settle(run.keys[index]!, outcome, outcome.ms);
      if (evidence) run.failures.push(evidence);
    }
  } else if (!il.stopped) {
    // The worker could not run: check its keys here after all.
    run.budget.max += workerBytes;
    const again = new Interleaver(
      theirs.map((i) => run.prepared[i]!.problem),
      {
        limits: { deadline: run.deadline, budget: run.budget, uniqueWrites: options.algorithm !== 'wgl' },
        allKeys: options.allKeys === true,
        onDone: (j, outcome, ms) => settleKey(run, theirs[j]!, outcome, ms),
      },
    );
    again.run();
  }
  return result(run);
}

/** The checker `faultline check --checker linearizable` runs. */
export const linearizableChecker: Checker & CallsCheckable = {
  name: 'linearizable',
  async check(history, options) {
    return checkLinearizable(history, options as unknown as LinearizableOptions);
  },
  async checkCalls(groups, options) {
    return checkLinearizable(groups, options as unknown as LinearizableOptions);
  },
};
