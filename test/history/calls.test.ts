/**
 * Calls read as columns (history/calls.ts) against the events: from the same bytes, the scan
 * gives up exactly when the event reader does, and otherwise yields pairOperations' calls split
 * by key, in the same groups and order, and each key's operations with the very events; the
 * linearizability checker gives the same result from those calls as from the events (verdicts,
 * failures, witnesses), on random histories (valid and not) and on every peer history.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateFaultyHistory, toJsonlText } from '../../bench/history-gen.js';
import { checkLinearizable, type LinearizableOptions } from '../../src/checker/linearizable/index.js';
import { partitionByKey } from '../../src/checker/linearizable/prepare.js';
import { CallColumns, callsByKey } from '../../src/history/calls.js';
import { joinParts, readFirstPart, readLaterPart } from '../../src/history/calls-part.js';
import { readJsonlBytes, scanJsonlStream } from '../../src/history/jsonl-stream.js';
import { bytesReader } from '../../src/history/line-stream.js';
import type { History, Key, Op } from '../../src/history/op.js';
import { type Call, pairOperations } from '../../src/history/operations.js';
import { readHistoryFile } from '../../src/history/read.js';
import { knossosManifest, porcupineManifest } from '../peers.js';
import { validHistory } from './generators.js';

const jsonl = (ops: readonly Op[]) => Buffer.from(ops.map((op) => JSON.stringify(op)).join('\n'));

function callsOf(bytes: Buffer, chunkBytes = 4096) {
  const calls = new CallColumns();
  const events = scanJsonlStream(bytesReader(bytes), (op) => calls.take(op), { chunkBytes });
  return events === undefined ? undefined : { groups: callsByKey(calls), events };
}

/** pairOperations' calls split by key, without the events behind them. */
function eventCalls(history: History): [Key | undefined, Call[]][] {
  const groups = partitionByKey(pairOperations(history));
  return [...groups].map(([k, ops]) => [k, ops.map(({ invoke: _i, completion: _c, ...call }) => call)]);
}

/** A valid history broken at one event: dropped, repeated, or moved to another process. */
const broken = fc
  .tuple(validHistory, fc.nat(), fc.constantFrom('drop', 'repeat', 'process', 'gap'))
  .map(([h, at, how]) => {
    const ops = h.ops.map((op) => ({ ...op }));
    if (ops.length === 0) return ops;
    const i = at % ops.length;
    if (how === 'drop') ops.splice(i, 1);
    else if (how === 'repeat') ops.splice(i, 0, { ...ops[i]! });
    else if (how === 'process' && ops[i]!.process !== 'nemesis')
      ops[i]!.process = (ops[i]!.process as number) + 1;
    // A gap in the numbering from event i on.
    return ops.map((op, index) => ({ ...op, index: how === 'gap' && index >= i ? index + 1 : index }));
  });

describe('calls read as columns', () => {
  it('are the events’ calls split by key, or nothing exactly when the event reader gives up', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          validHistory.map((h) => h.ops),
          broken,
        ),
        fc.integer({ min: 64, max: 512 }),
        (ops, chunk) => {
          // Some events name their node, some of the invocations an error: evidence shows both.
          const bytes = jsonl(
            ops.map((op, j) =>
              j % 3 === 0 ? { ...op, node: `n${j % 2}` } : j % 5 === 1 ? { ...op, error: 'e' } : op,
            ),
          );
          const history = readJsonlBytes(bytes, { chunkBytes: chunk });
          const read = callsOf(bytes, chunk);
          expect(read === undefined).toBe(history === undefined);
          if (history === undefined || read === undefined) return;
          expect(read.events).toBe(history.ops.length);
          expect([...read.groups.groups]).toEqual(eventCalls(history));
          for (const [k, ops] of partitionByKey(pairOperations(history)))
            expect(read.groups.operations(k)).toStrictEqual(ops);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('give up on a file the event reader gives up on (a broken line)', () => {
    const bytes = Buffer.from('{"index":0,"time":1,"process":0,"type":"invoke","f":"read"}\n{"index":1,\n');
    expect(readJsonlBytes(bytes)).toBeUndefined();
    expect(callsOf(bytes)).toBeUndefined();
  });
});

/** A linearizability result without its timings. */
function verdict(r: Awaited<ReturnType<typeof checkLinearizable>>) {
  return {
    valid: r.valid,
    operations: r.operations,
    keys: r.keys.map(({ ms: _ms, ...k }) => k),
    failures: r.failures.map(({ witness, ...f }) => ({ ...f, witness: witness && { ...witness, ms: 0 } })),
  };
}

async function bothWays(ops: readonly Op[], options: LinearizableOptions) {
  const bytes = jsonl(ops);
  const history = readJsonlBytes(bytes);
  const read = callsOf(bytes, 1 << 16);
  expect(history).toBeDefined();
  expect(read).toBeDefined();
  const byEvents = await checkLinearizable(history!, { ...options, workers: 0 });
  const byCalls = await checkLinearizable(read!.groups, { ...options, workers: 0 });
  return { byEvents, byCalls };
}

describe('the linearizability checker on calls', () => {
  it.each([
    { staleReads: false, nonAtomicCas: false, seed: 1 },
    { staleReads: true, nonAtomicCas: false, seed: 2 },
    { staleReads: false, nonAtomicCas: true, seed: 3 },
    { staleReads: true, nonAtomicCas: true, seed: 4 },
  ])('judges a faulty run-like history as the events (%o)', async (o) => {
    const ops = JSON.parse(
      `[${toJsonlText(generateFaultyHistory({ ops: 6000, keys: 5, processes: 3, ...o }))
        .trim()
        .split('\n')
        .join(',')}]`,
    );
    const { byEvents, byCalls } = await bothWays(ops, { model: 'cas-register', allKeys: true });
    expect(verdict(byCalls)).toEqual(verdict(byEvents));
    expect(byEvents.valid).toBe(!o.staleReads && !o.nonAtomicCas);
  });

  it('refuses an operation the model cannot interpret as the events do (the same first one)', async () => {
    const ops: Op[] = [
      { index: 0, time: 0, process: 0, type: 'invoke', f: 'write', key: 'a', value: 1 },
      { index: 1, time: 1, process: 1, type: 'invoke', f: 'cas', key: 'b', value: 3 },
      { index: 2, time: 2, process: 0, type: 'ok', f: 'write', key: 'a', value: 1 },
      { index: 3, time: 3, process: 0, type: 'invoke', f: 'frob', key: 'a', value: 1 },
      { index: 4, time: 4, process: 1, type: 'ok', f: 'cas', key: 'b', value: 3 },
    ];
    const bytes = jsonl(ops);
    const events = checkLinearizable(readJsonlBytes(bytes)!, { model: 'cas-register' });
    const calls = checkLinearizable(callsOf(bytes)!.groups, { model: 'cas-register' });
    await expect(events).rejects.toMatchObject({ index: 1 });
    await expect(calls).rejects.toMatchObject({ index: 1 });
  });

  const etcd = { initial: null, nilRead: 'absent', failedCas: 'mismatch' } as const;
  it.each(porcupineManifest())('Porcupine $file → $expected', async (e) => {
    const history = await readHistoryFile(e.path);
    const options: LinearizableOptions = {
      model: e.model,
      ...(e.model === 'cas-register' ? etcd : {}),
      timeLimitMs: 30_000,
    };
    const { byEvents, byCalls } = await bothWays(history.ops, options);
    expect(byCalls.valid).toBe(e.expected);
    expect(verdict(byCalls)).toEqual(verdict(byEvents));
  });

  it.each(knossosManifest())('Knossos $file ($model) → $expected_valid', async (e) => {
    const history = await readHistoryFile(e.path);
    // The mutex entry names its initial state in words ("free (locked? false)"): the default.
    const initial = e.model === 'mutex' ? undefined : e.model_initial_state;
    const options: LinearizableOptions = {
      model: e.model,
      ...(initial === undefined ? {} : { initial: initial as never }),
      timeLimitMs: 30_000,
    };
    const { byEvents, byCalls } = await bothWays(history.ops, options);
    expect(byCalls.valid).toBe(e.expected_valid);
    expect(verdict(byCalls)).toEqual(verdict(byEvents));
  });
});

/** A file read in two parts split at the start of line `at` (as calls-part.ts does on two threads). */
function inParts(bytes: Buffer, at: number) {
  const lineStarts = [0];
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a) lineStarts.push(i + 1);
  const split = lineStarts[at % lineStarts.length]!;
  const calls = new CallColumns();
  const first = readFirstPart(bytesReader(bytes.subarray(0, split)), calls, Number.POSITIVE_INFINITY);
  const laterCalls = new CallColumns();
  const later = readLaterPart(bytesReader(bytes.subarray(split)), laterCalls, Number.POSITIVE_INFINITY);
  if (first === undefined || later === undefined) return undefined;
  // Through a message, as from the worker: the encoding is structured-cloned.
  const sent = structuredClone(later);
  const events = joinParts(calls, first, sent);
  return events === undefined ? undefined : { groups: callsByKey(calls), events };
}

describe('calls read in two parts', () => {
  it('are the calls read whole, or nothing exactly when the whole read gives up', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          validHistory.map((h) => h.ops),
          broken,
        ),
        fc.nat(),
        fc.boolean(),
        (ops, at, blank) => {
          // Blank lines here and there: the later part may start with one.
          const lines = ops
            .map((op, j) => (j % 3 === 0 ? { ...op, node: `n${j % 2}` } : op))
            .map((op) => JSON.stringify(op));
          if (blank) lines.splice(at % (lines.length + 1), 0, '  ');
          const bytes = Buffer.from(lines.join('\n'));
          const whole = callsOf(bytes, 1 << 16);
          const parts = inParts(bytes, at);
          expect(parts === undefined).toBe(whole === undefined);
          if (whole === undefined || parts === undefined) return;
          expect(parts.events).toBe(whole.events);
          expect([...parts.groups.groups]).toEqual([...whole.groups.groups]);
          for (const k of whole.groups.groups.keys())
            expect(parts.groups.operations(k)).toStrictEqual(whole.groups.operations(k));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
