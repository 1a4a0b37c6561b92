/**
 * The queue models keep their states on the heap: a history whose search would fill it ends
 * `unknown` (memory-limit) at the model's cap instead of a V8 heap abort.
 */
import { describe, expect, it } from 'vitest';
import { checkLinearizable } from '../../../src/checker/linearizable/check.js';
import { fifoQueue, unorderedQueue } from '../../../src/checker/linearizable/models/queues.js';
import type { History, Op } from '../../../src/history/op.js';

/** n concurrent enqueues, n concurrent info dequeues, then a dequeue of a value never enqueued. */
function hostile(n: number): History {
  const ops: Op[] = [];
  const add = (o: Omit<Op, 'index' | 'time'>) => ops.push({ ...o, index: ops.length, time: ops.length });
  for (let p = 0; p < n; p++) add({ process: p, type: 'invoke', f: 'enqueue', value: p });
  for (let p = 0; p < n; p++) add({ process: p, type: 'ok', f: 'enqueue', value: p });
  for (let p = 0; p < n; p++) add({ process: n + p, type: 'invoke', f: 'dequeue', value: null });
  for (let p = 0; p < n; p++) add({ process: 2 * n + p, type: 'invoke', f: 'enqueue', value: 100 + p });
  for (let p = 0; p < n; p++) add({ process: 2 * n + p, type: 'ok', f: 'enqueue', value: 100 + p });
  add({ process: 3 * n, type: 'invoke', f: 'dequeue', value: null });
  add({ process: 3 * n, type: 'ok', f: 'dequeue', value: 999 });
  return { ops, realTime: true };
}

describe('queue models under a memory cap', () => {
  it.each([
    ['fifo-queue', fifoQueue],
    ['unordered-queue', unorderedQueue],
  ])('%s: a search past the cap is unknown (memory-limit), not a heap abort', async (_name, factory) => {
    const model = factory({ stateLimitBytes: 4 * 2 ** 20 });
    const r = await checkLinearizable(hostile(10), { model, workers: 0 });
    expect(r.valid).toBe('unknown');
    expect(r.failures[0]?.reason).toBe('memory-limit');
    expect(r.summary).toMatch(/memory/);
  });

  it('a small history stays decided under the default cap', async () => {
    const r = await checkLinearizable(hostile(3), { model: 'fifo-queue', workers: 0 });
    expect(r.valid).toBe(false);
  });
});
