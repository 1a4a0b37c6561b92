/**
 * The coordinator side of the kvstore: how one node serves a client's request over the key's
 * N replicas, under the modes of server.ts's header. Every operation answers an HTTP reply
 * ({status, body}); a quorum that cannot be reached throws, which the server turns into 503.
 *
 * The correct mode is CASPaxos (Rystsov, 2018) per key, which is ABD with promises: phase 1
 * (prepare a fresh Lamport ballot at R replicas, learn the newest accepted value) is ABD's
 * query phase, phase 2 (accept the new value at W replicas under that ballot) is ABD's
 * update or write-back phase. The promises are what make read-modify-writes (cas, add, incr)
 * atomic without a leader: two rounds whose phase-1 and phase-2 quorums intersect (R + W > N)
 * cannot both build on the same old value. A plain quorum read skips both phases when W of
 * the replicas it asked already agree (that value is chosen: no later round can miss it).
 */
import type { AcceptAnswer, PrepareAnswer, Replica, Version, Versioned } from './store.js';
import { compareVersions, newest, preferenceList } from './store.js';

export interface Modes {
  clock: 'wall' | 'logical';
  writeBack: boolean;
  readOne: boolean;
  cas: 'atomic' | 'racy';
}

export interface Quorums {
  n: number;
  r: number;
  w: number;
  readRepair: boolean;
  timeoutMs: number;
}

/** How the coordinator reaches one replica (itself included). */
export interface Transport {
  query(node: string, key: string): Promise<PrepareAnswer>;
  prepare(node: string, key: string, ballot: Version): Promise<PrepareAnswer>;
  accept(node: string, key: string, entry: Versioned): Promise<AcceptAnswer>;
}

export interface Reply {
  status: number;
  body: unknown;
}

/** A read-modify-write step: from the current value (undefined when absent), the reply and maybe a new value. */
export type Change = (current: unknown) => { reply: Reply; next?: { value: unknown } };

export const readChange: Change = (current) =>
  current === undefined
    ? { reply: { status: 404, body: { error: 'not-found' } } }
    : { reply: { status: 200, body: { value: current } } };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Resolves with the first `need` answers that `good` accepts; rejects as soon as that became
 * impossible (errors and refused answers) or after `timeoutMs`.
 */
export function gather<T>(calls: Promise<T>[], need: number, good: (a: T) => boolean, timeoutMs: number) {
  return new Promise<T[]>((resolve, reject) => {
    const got: T[] = [];
    let bad = 0;
    const timer = setTimeout(() => reject(new Error('quorum-timeout')), timeoutMs);
    const miss = () => {
      if (calls.length - ++bad < need) {
        clearTimeout(timer);
        reject(new Error('quorum-unavailable'));
      }
    };
    for (const call of calls) {
      call.then((a) => {
        if (!good(a)) return miss();
        got.push(a);
        if (got.length === need) {
          clearTimeout(timer);
          resolve([...got]);
        }
      }, miss);
    }
  });
}

/** How many answers hold exactly `best` (or, when `best` is absent, hold nothing). */
function agreeing(answers: PrepareAnswer[], best: Versioned | undefined): number {
  let n = 0;
  for (const a of answers) {
    if (!best ? !a.entry : a.entry && compareVersions(a.entry.version, best.version) === 0) n++;
  }
  return n;
}

export function createCoordinator(replica: Replica, nodes: string[], q: Quorums, modes: Modes, t: Transport) {
  const replicas = (key: string) => preferenceList(key, nodes, q.n);
  const need = (k: number, list: string[]) => Math.min(k, list.length);
  const anyAnswer = () => true;

  /** Sends an entry to W replicas; blind (wall-clock) writers count any answer as an ack. */
  async function acceptAll(key: string, entry: Versioned, strict: boolean): Promise<void> {
    const list = replicas(key);
    const good = strict ? (a: AcceptAnswer) => a.ok : anyAnswer;
    await gather(
      list.map((node) => t.accept(node, key, entry)),
      need(q.w, list),
      good,
      q.timeoutMs,
    );
  }

  function repairLater(key: string, queries: Promise<PrepareAnswer>[], list: string[]): void {
    void Promise.allSettled(queries).then((all) => {
      const seen = all.map((a) => (a.status === 'fulfilled' ? a.value.entry : undefined));
      const best = newest(seen);
      if (!best) return;
      seen.forEach((e, i) => {
        if (all[i]!.status === 'fulfilled' && e !== best) void t.accept(list[i]!, key, best).catch(() => {});
      });
    });
  }

  async function readOne(key: string, list: string[]): Promise<Versioned | undefined> {
    if (list.includes(replica.node)) return replica.get(key);
    const [a] = await gather(
      list.map((node) => t.query(node, key)),
      1,
      anyAnswer,
      q.timeoutMs,
    );
    return a!.entry;
  }

  async function read(key: string): Promise<Reply> {
    const list = replicas(key);
    if (modes.readOne) return readChange((await readOne(key, list))?.value).reply;
    const queries = list.map((node) => t.query(node, key));
    const answers = await gather(queries, need(q.r, list), anyAnswer, q.timeoutMs);
    const best = newest(answers.map((a) => a.entry));
    if (q.readRepair && best) repairLater(key, queries, list);
    const chosen = agreeing(answers, best) >= need(q.w, list);
    if (modes.writeBack && !chosen && best) {
      if (modes.clock === 'logical') return paxos(key, readChange);
      await acceptAll(key, best, false); // ABD's write-back, with the value's own version
    }
    return readChange(best?.value).reply;
  }

  async function write(key: string, value: unknown): Promise<Reply> {
    const reply = { status: 200, body: { value } };
    if (modes.clock === 'logical') return paxos(key, () => ({ reply, next: { value } }));
    await acceptAll(key, { value, version: replica.stamp() }, false);
    return reply;
  }

  /** A read-modify-write: one Paxos round when atomic, else a read then a blind write. */
  async function modify(key: string, change: Change): Promise<Reply> {
    if (modes.cas === 'atomic') return paxos(key, change);
    const current = await read(key);
    const { reply, next } = change(
      current.status === 200 ? (current.body as { value: unknown }).value : undefined,
    );
    if (next) await write(key, next.value);
    return reply;
  }

  const paxos = batchedRounds(replica, replicas, q, t);
  return { read, write, modify };
}

/**
 * Paxos rounds, one at a time per key on this node: changes that arrive while a round is in
 * flight wait and go together in the next one, applied in arrival order. Without this, a
 * node's own concurrent requests would duel each other's ballots on a hot key.
 */
function batchedRounds(replica: Replica, replicas: (key: string) => string[], q: Quorums, t: Transport) {
  type Waiting = { change: Change; resolve: (r: Reply) => void; reject: (e: Error) => void };
  const queues = new Map<string, Waiting[]>();

  async function drain(key: string, queue: Waiting[]): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.splice(0);
      try {
        const replies = await round(
          replica,
          replicas(key),
          key,
          batch.map((w) => w.change),
          q,
          t,
        );
        for (const [i, w] of batch.entries()) w.resolve(replies[i]!);
      } catch (e) {
        for (const w of batch) w.reject(e as Error);
      }
    }
    queues.delete(key);
  }

  return (key: string, change: Change) =>
    new Promise<Reply>((resolve, reject) => {
      const queue = queues.get(key);
      if (queue) return void queue.push({ change, resolve, reject });
      const fresh: Waiting[] = [{ change, resolve, reject }];
      queues.set(key, fresh);
      void drain(key, fresh);
    });
}

/** Phase 1, retried with a higher ballot (and a random pause) while other proposers out-bid it. */
async function prepared(replica: Replica, list: string[], key: string, q: Quorums, t: Transport) {
  const deadline = Date.now() + q.timeoutMs;
  for (let attempt = 0; ; attempt++) {
    const ballot = replica.ballot();
    let outbid = false;
    const good = (a: PrepareAnswer) => {
      replica.observe(a.promise);
      replica.observe(a.entry?.version);
      if (!a.ok) outbid = true;
      return a.ok;
    };
    const calls = list.map((node) => t.prepare(node, key, ballot));
    try {
      return { ballot, answers: await gather(calls, Math.min(q.r, list.length), good, q.timeoutMs) };
    } catch (e) {
      // Nothing was accepted yet, so retrying cannot apply a change twice.
      if (!outbid || Date.now() > deadline) throw e;
      await sleep(Math.random() * Math.min(50, 2 ** attempt));
    }
  }
}

async function round(
  replica: Replica,
  list: string[],
  key: string,
  changes: Change[],
  q: Quorums,
  t: Transport,
): Promise<Reply[]> {
  const { ballot, answers } = await prepared(replica, list, key, q, t);
  const current = newest(answers.map((a) => a.entry));
  let value = current?.value;
  let changed = false;
  const replies = changes.map((change) => {
    const { reply, next } = change(value);
    if (next) {
      value = next.value;
      changed = true;
    }
    return reply;
  });
  const chosen = !current || agreeing(answers, current) >= Math.min(q.w, list.length);
  if (changed || !chosen) {
    // A failure from here on is indeterminate: some replicas may hold the new value.
    const entry: Versioned = { value, version: ballot };
    await gather(
      list.map((node) => t.accept(node, key, entry)),
      Math.min(q.w, list.length),
      (a) => a.ok,
      q.timeoutMs,
    );
  }
  return replies;
}
