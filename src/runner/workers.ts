/**
 * The client side of a run: one worker per client, each taking the generator's next
 * operation, recording its invocation, calling the client (bounded in time) and recording the
 * completion. Process ids follow the history spec: a worker starts as process = its index and,
 * after an `info` completion, continues as process + concurrency (the old operation may still
 * be in flight, so that id is never used again). A worker whose operation found the database
 * unavailable backs off briefly before the next (backoff.ts).
 */
import type { Client, Completion, OperationBase } from '../clients/types.js';
import type { Process } from '../history/op.js';
import { createBackoff } from './backoff.js';
import type { Recorder } from './recorder.js';
import type { Rng } from './rng.js';
import type { Generator } from './workload.js';

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((res) => {
    if (signal?.aborted) return res();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      res();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

export interface Workers<Op extends OperationBase> {
  clients: readonly Client<Op>[];
  recorder: Recorder;
  readOnly(op: Op): boolean;
  opTimeoutMs: number;
}

/** The workers' process ids, advanced after every info. */
export function processIds(concurrency: number) {
  const pids: Process[] = Array.from({ length: concurrency }, (_, w) => w);
  return {
    of: (w: number) => pids[w]!,
    after(w: number, completion: Completion) {
      if (completion.type === 'info') pids[w] = (pids[w] as number) + concurrency;
    },
  };
}

/** The workload phase: every worker runs until the phase ends or the generator runs dry. */
export async function runWorkers<Op extends OperationBase>(
  w: Workers<Op>,
  o: {
    generator: Generator<Op>;
    pids: ReturnType<typeof processIds>;
    rng: Rng;
    /** Total operations per second over all workers; 0: as fast as they go. */
    rate: number;
    deadline: number;
    signal: AbortSignal;
  },
): Promise<void> {
  const interval = o.rate > 0 ? 1000 / o.rate : 0;
  let nextSlot = performance.now();
  const one = async (i: number) => {
    const client = w.clients[i]!;
    const backoff = createBackoff(o.rng.fork());
    let ops = 0;
    while (!o.signal.aborted && performance.now() < o.deadline) {
      // A client that answers without I/O (in memory) would starve the timers the nemesis
      // and the phase's end wait on: let the event loop turn now and then.
      if (++ops % 64 === 0) await new Promise((r) => setImmediate(r));
      if (interval > 0) {
        const now = performance.now();
        nextSlot = Math.max(nextSlot + interval, now);
        if (nextSlot > now) await sleep(nextSlot - now, o.signal);
        if (o.signal.aborted) break;
      }
      const op = o.generator.next(i);
      if (!op) break;
      const completion = await invoke(w, client, o.pids.of(i), op);
      o.pids.after(i, completion);
      // The database did not answer: wait a little before the next try (see backoff.ts).
      const pause = backoff.after(completion);
      if (pause > 0) await sleep(pause, o.signal);
    }
  };
  await Promise.all(w.clients.map((_, i) => one(i)));
}

/** The final operations (after the heal), spread over the workers. */
export async function runFinal<Op extends OperationBase>(
  w: Workers<Op>,
  finals: readonly Op[],
  pids: ReturnType<typeof processIds>,
  signal?: AbortSignal,
): Promise<void> {
  await Promise.all(
    w.clients.map(async (client, i) => {
      for (let k = i; k < finals.length && !signal?.aborted; k += w.clients.length) {
        pids.after(i, await invoke(w, client, pids.of(i), finals[k]!));
      }
    }),
  );
}

/** One operation: record the invocation, call the client (bounded in time), record the completion. */
export async function invoke<Op extends OperationBase>(
  w: Pick<Workers<Op>, 'recorder' | 'readOnly' | 'opTimeoutMs'>,
  client: Client<Op>,
  process: Process,
  op: Op,
): Promise<Completion> {
  const node = client.nodeFor?.(op) ?? client.node;
  const readOnly = w.readOnly(op);
  w.recorder.record({
    process,
    type: 'invoke',
    f: op.f,
    key: op.key,
    value: readOnly ? null : op.value,
    node,
  });
  const completion = await call(client, op, readOnly, w.opTimeoutMs);
  w.recorder.record({
    process,
    type: completion.type,
    f: op.f,
    key: op.key,
    value: completion.type === 'ok' ? completion.value : readOnly ? null : op.value,
    ...(completion.error ? { error: completion.error } : {}),
    node: client.nodeFor?.(op) ?? (client.node || node),
  });
  return completion;
}

async function call<Op>(
  client: Client<Op>,
  op: Op,
  readOnly: boolean,
  timeoutMs: number,
): Promise<Completion> {
  let timer: NodeJS.Timeout | undefined;
  try {
    if (client.boundedByTimeout) return await client.invoke(op);
    // A client that does not bound its own calls gets a hard limit around each.
    const hardLimit = new Promise<Completion>((res) => {
      timer = setTimeout(() => res({ type: 'info', value: null, error: 'timeout' }), timeoutMs + 2000);
    });
    return await Promise.race([client.invoke(op), hardLimit]);
  } catch (e) {
    return { type: readOnly ? 'fail' : 'info', value: null, error: String((e as Error).message) };
  } finally {
    clearTimeout(timer);
  }
}
