/**
 * Test support: a brute-force linearizability oracle (every order consistent with real time,
 * every subset of info operations) and a generator of small random histories for every model.
 */
import type { Model, ModelOp } from '../../../src/checker/linearizable/index.js';
import type { Value } from '../../../src/history/op.js';
import type { Operation } from '../../../src/history/operations.js';

export interface OracleOptions {
  /** Failed operations that are real answers (must be linearized), e.g. cas under 'mismatch'. */
  failIsAnswer?: (op: ModelOp) => boolean;
}

/** True when some subset of the info operations and some real-time order make the history legal. */
export function bruteForce(model: Model, ops: readonly Operation[], options: OracleOptions = {}): boolean {
  const must = ops.filter((o) => o.type === 'ok' || (o.type === 'fail' && options.failIsAnswer?.(o)));
  const maybe = ops.filter((o) => o.type === 'info');
  for (let mask = 0; mask < 1 << maybe.length; mask++) {
    const chosen = [...must, ...maybe.filter((_, i) => (mask >> i) & 1)];
    if (orders(model, chosen)) return true;
  }
  return false;
}

/** Info operations may take effect any time after their call: they never return, for order. */
const returns = (op: Operation) => (op.type === 'info' ? Number.POSITIVE_INFINITY : op.returnIndex);

function orders(model: Model, ops: readonly Operation[]): boolean {
  const n = ops.length;
  const used = new Array<boolean>(n).fill(false);
  const go = (state: unknown, depth: number): boolean => {
    if (depth === n) return true;
    for (let i = 0; i < n; i++) {
      if (used[i]) continue;
      // i may come next only if no unused operation returned before i was called.
      let ok = true;
      for (let j = 0; j < n; j++) {
        if (j !== i && !used[j] && returns(ops[j]!) < ops[i]!.callIndex) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      used[i] = true;
      for (const next of model.step(state, ops[i]!)) if (go(next, depth + 1)) return true;
      used[i] = false;
    }
    return false;
  };
  return model.init().some((s) => go(s, 0));
}

/** A small seeded PRNG (mulberry32). */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number) => next() < p,
  };
}
export type Rng = ReturnType<typeof rng>;

/**
 * How a model's operations are generated and really executed: `invoke` draws an operation,
 * `apply` runs it on a real sequential object and gives the output and whether it failed.
 */
export interface Workload<S> {
  init: S;
  invoke(r: Rng): { f: string; input: Value };
  apply(state: S, f: string, input: Value, r: Rng): { state: S; output: Value; failed?: boolean };
  /** A plausible wrong output for corrupting a history. */
  corrupt(f: string, input: Value, output: Value, r: Rng): Value;
}

const small = [0, 1, 2];

/**
 * A nondeterministic model for the tests: `flip` sets the register to 0 or 1 (which one is not
 * reported), `write` sets it, `read` returns it.
 */
export const coin: Model<number> = {
  name: 'coin',
  init: () => [0],
  key: (s) => s,
  step: (s, op) =>
    op.f === 'flip'
      ? [0, 1]
      : op.f === 'write'
        ? [op.input as number]
        : op.type !== 'ok' || op.output === s
          ? [s]
          : [],
  readOnly: (op) => op.f === 'read',
  describeOp: (op) => op.f,
  describeState: String,
};

// biome-ignore lint/suspicious/noExplicitAny: each workload has its own state type
export const workloads: Record<string, Workload<any>> = {
  coin: {
    init: 0,
    invoke: (r) => {
      const k = r.int(3);
      return k === 0
        ? { f: 'flip', input: null }
        : k === 1
          ? { f: 'write', input: r.int(2) }
          : { f: 'read', input: null };
    },
    apply: (s, f, input, r) =>
      f === 'flip'
        ? { state: r.int(2), output: null }
        : f === 'write'
          ? { state: input, output: input }
          : { state: s, output: s },
    corrupt: (f, input, o) => (f === 'read' ? 1 - (o as number) : input),
  },
  register: {
    init: null,
    invoke: (r) => (r.chance(0.5) ? { f: 'read', input: null } : { f: 'write', input: r.pick(small) }),
    apply: (s, f, input) => (f === 'read' ? { state: s, output: s } : { state: input, output: input }),
    corrupt: (f, input, _o, r) => (f === 'read' ? r.pick([null, ...small]) : input),
  },
  'cas-register': {
    init: null,
    invoke: (r) => {
      const k = r.int(3);
      if (k === 0) return { f: 'read', input: null };
      if (k === 1) return { f: 'write', input: r.pick(small) };
      return { f: 'cas', input: [r.pick(small), r.pick(small)] };
    },
    apply: (s, f, input) => {
      if (f === 'read') return { state: s, output: s };
      if (f === 'write') return { state: input, output: input };
      const [from, to] = input as [Value, Value];
      return s === from ? { state: to, output: input } : { state: s, output: input, failed: true };
    },
    corrupt: (f, input, _o, r) => (f === 'read' ? r.pick([null, ...small]) : input),
  },
  kv: {
    init: '',
    invoke: (r) => {
      const k = r.int(3);
      if (k === 0) return { f: 'get', input: null };
      return { f: k === 1 ? 'put' : 'append', input: r.pick(['a', 'b', 'c']) };
    },
    apply: (s, f, input) =>
      f === 'get'
        ? { state: s, output: s }
        : { state: f === 'put' ? (input as string) : s + (input as string), output: input },
    corrupt: (f, input, o, r) => (f === 'get' ? r.pick(['', 'a', 'ab', `${o}a`]) : input),
  },
  mutex: {
    init: false,
    invoke: (r) => ({ f: r.chance(0.5) ? 'acquire' : 'release', input: null }),
    apply: (held, f) =>
      f === 'acquire'
        ? held
          ? { state: held, output: null, failed: true }
          : { state: true, output: null }
        : held
          ? { state: false, output: null }
          : { state: held, output: null, failed: true },
    corrupt: (_f, _i, o) => o,
  },
  'fifo-queue': {
    init: [],
    invoke: (r) => (r.chance(0.5) ? { f: 'enqueue', input: r.pick(small) } : { f: 'dequeue', input: null }),
    apply: (q: Value[], f, input) =>
      f === 'enqueue' ? { state: [...q, input], output: input } : { state: q.slice(1), output: q[0] ?? null },
    corrupt: (f, input, _o, r) => (f === 'dequeue' ? r.pick([null, ...small]) : input),
  },
  'unordered-queue': {
    init: [],
    invoke: (r) => (r.chance(0.5) ? { f: 'enqueue', input: r.pick(small) } : { f: 'dequeue', input: null }),
    apply: (q: Value[], f, input, r) => {
      if (f === 'enqueue') return { state: [...q, input], output: input };
      if (q.length === 0) return { state: q, output: null };
      const i = r.int(q.length);
      return { state: [...q.slice(0, i), ...q.slice(i + 1)], output: q[i]! };
    },
    corrupt: (f, input, _o, r) => (f === 'dequeue' ? r.pick([null, ...small]) : input),
  },
  set: {
    init: [],
    invoke: (r) => (r.chance(0.5) ? { f: 'add', input: r.pick(small) } : { f: 'read', input: null }),
    apply: (s: number[], f, input) =>
      f === 'add'
        ? { state: [...new Set([...s, input as number])].sort(), output: input }
        : { state: s, output: [...s] },
    corrupt: (f, input, o, r) =>
      f === 'read'
        ? r.chance(0.5) || (o as number[]).length === 0
          ? [...(o as number[]), 2]
          : (o as number[]).slice(1)
        : input,
  },
  'multi-register': {
    init: { x: 0, y: 0 },
    invoke: (r) => {
      const micro = () =>
        r.chance(0.5) ? ['read', r.pick(['x', 'y']), null] : ['write', r.pick(['x', 'y']), r.pick(small)];
      return { f: 'txn', input: r.chance(0.5) ? [micro()] : [micro(), micro()] };
    },
    apply: (s: Record<string, Value>, _f, input) => {
      const next = { ...s };
      const out = (input as Value[][]).map(([f, k, v]) => {
        if (f === 'read') return ['read', k!, next[k as string] ?? null];
        next[k as string] = v!;
        return ['write', k!, v!];
      });
      return { state: next, output: out };
    },
    corrupt: (_f, _input, o, r) =>
      (o as Value[][]).map(([f, k, v]) =>
        f === 'read' && r.chance(0.7) ? ['read', k!, r.pick(small)] : [f!, k!, v!],
      ),
  },
};

/**
 * A random history of up to `maxOps` operations over `procs` processes, produced by really
 * executing each operation at a random moment inside its interval, then (sometimes) corrupting
 * one output. Some operations end info (taking effect or not), some fail, some stay open.
 */
export function randomHistory(
  // biome-ignore lint/suspicious/noExplicitAny: any workload's state
  w: Workload<any>,
  r: Rng,
  maxOps: number,
  procs: number,
  infoRate = 0.15,
): Operation[] {
  const ops: Operation[] = [];
  let state = w.init;
  let time = 0;
  let nextProc = procs;
  const slots: number[] = Array.from({ length: procs }, (_, i) => i);
  const open = new Map<
    number,
    { op: Operation; applied: boolean; output: Value; failed: boolean; lost: boolean }
  >();
  const total = 1 + r.int(maxOps);
  let invoked = 0;
  while (invoked < total || open.size > 0) {
    const slot = r.int(procs);
    const p = slots[slot]!;
    const cur = open.get(p);
    if (!cur) {
      if (invoked >= total) {
        // Leave the remaining open operations pending, sometimes.
        if (r.chance(0.3)) break;
        continue;
      }
      const { f, input } = w.invoke(r);
      const op: Operation = {
        process: p,
        f,
        key: undefined,
        invoke: { index: time, time, process: p, type: 'invoke', f, value: input },
        completion: undefined,
        type: 'info',
        callIndex: time++,
        returnIndex: Number.POSITIVE_INFINITY,
        input,
        output: null,
      };
      ops.push(op);
      invoked++;
      open.set(p, { op, applied: false, output: null, failed: false, lost: false });
      continue;
    }
    if (!cur.applied && r.chance(0.6)) {
      if (r.chance(0.1)) {
        // Lost: never takes effect; completes fail or info.
        cur.applied = true;
        cur.lost = true;
        continue;
      }
      const res = w.apply(state, cur.op.f, cur.op.input, r);
      cur.applied = true;
      cur.failed = res.failed === true;
      if (!cur.failed) state = res.state;
      cur.output = res.output;
      continue;
    }
    if (!cur.applied) continue;
    open.delete(p);
    const roll = r.next();
    const op = cur.op;
    op.returnIndex = time;
    if (roll < infoRate || (cur.lost && roll < 0.6)) {
      op.type = 'info';
      slots[slot] = nextProc++;
    } else {
      op.type = cur.failed || cur.lost ? 'fail' : 'ok';
      op.output = cur.output;
    }
    op.completion = { index: time, time, process: p, type: op.type, f: op.f, value: op.output };
    time++;
  }
  // Info and never-completed operations: output unknown (null). Info keep their return index
  // only for display: the checker reads the type.
  for (const op of ops) if (op.type === 'info') op.output = null;
  const done = ops.filter((o) => o.type === 'ok' || o.type === 'fail');
  if (done.length > 0 && r.chance(0.25)) {
    // A wrong completion type: a failed operation claims success, or the reverse.
    const o = r.pick(done);
    o.type = o.type === 'ok' ? 'fail' : 'ok';
    if (o.type === 'ok' && o.f !== 'cas') o.output = w.apply(w.init, o.f, o.input, r).output;
    if (o.completion) o.completion = { ...o.completion, type: o.type, value: o.output };
  } else if (ops.length > 0 && r.chance(0.45)) {
    const oks = ops.filter((o) => o.type === 'ok');
    if (oks.length > 0) {
      const o = r.pick(oks);
      o.output = w.corrupt(o.f, o.input, o.output, r);
      if (o.completion) o.completion.value = o.output;
    }
  }
  return ops;
}
