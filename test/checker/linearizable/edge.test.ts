/**
 * Hand-written edge cases: pending and info operations, failed cas under both readings, nil
 * reads, ties, keys, bounds, evidence, bad options, and the library entry point.
 */
import { describe, expect, it } from 'vitest';
import type { LinearizableOptions } from '../../../src/checker/linearizable/index.js';
import {
  buildHistory,
  type History,
  InputError,
  type RawEvent,
  readHistoryFile,
} from '../../../src/history/index.js';
import type { Operation } from '../../../src/history/operations.js';
import { checkers, checkLinearizable, checkLinearizableSync, models } from '../../../src/index.js';
import { knossosManifest, porcupineManifest } from '../../peers.js';

type Ev = [process: number, type: RawEvent['type'], f: string, value?: unknown, key?: string];
const history = (...events: Ev[]): History =>
  buildHistory(
    events.map(([process, type, f, value, key], i) => ({
      line: i + 1,
      process,
      type,
      f,
      value: (value ?? null) as never,
      ...(key === undefined ? {} : { key }),
    })),
    { file: 'test' },
  );
const check = (h: History, options: Partial<LinearizableOptions> = {}) =>
  checkLinearizableSync(h, { model: 'cas-register', ...options });

describe('pending and info operations', () => {
  it('a pending write may take effect at the very end, after later operations', () => {
    const h = history(
      [0, 'invoke', 'write', 1],
      [1, 'invoke', 'write', 2],
      [1, 'ok', 'write', 2],
      [1, 'invoke', 'read'],
      [1, 'ok', 'read', 2],
      [1, 'invoke', 'read'],
      [1, 'ok', 'read', 1],
    );
    expect(check(h).valid).toBe(true);
  });

  it('a pending write may also never take effect', () => {
    const h = history([0, 'invoke', 'write', 1], [1, 'invoke', 'read'], [1, 'ok', 'read', null]);
    expect(check(h).valid).toBe(true);
  });

  it('a pending write cannot take effect before it was invoked', () => {
    const h = history([1, 'invoke', 'read'], [1, 'ok', 'read', 1], [0, 'invoke', 'write', 1]);
    expect(check(h).valid).toBe(false);
  });

  it('a read may return a value written by an info write, even after the info completion', () => {
    const h = history(
      [0, 'invoke', 'write', 1],
      [0, 'info', 'write', 1],
      [1, 'invoke', 'read'],
      [1, 'ok', 'read', null],
      [1, 'invoke', 'read'],
      [1, 'ok', 'read', 1],
    );
    expect(check(h).valid).toBe(true);
  });

  it('an info write takes effect at most once', () => {
    const h = history(
      [0, 'invoke', 'write', 1],
      [0, 'info', 'write', 1],
      [1, 'invoke', 'read'],
      [1, 'ok', 'read', 1],
      [1, 'invoke', 'write', 2],
      [1, 'ok', 'write', 2],
      [1, 'invoke', 'read'],
      [1, 'ok', 'read', 2],
      [1, 'invoke', 'read'],
      [1, 'ok', 'read', 1],
    );
    expect(check(h).valid).toBe(false);
  });

  it('identical pending writes are interchangeable, and both can take effect', () => {
    const h = history(
      [0, 'invoke', 'write', 1],
      [1, 'invoke', 'write', 1],
      [2, 'invoke', 'read'],
      [2, 'ok', 'read', 1],
      [2, 'invoke', 'write', 2],
      [2, 'ok', 'write', 2],
      [2, 'invoke', 'read'],
      [2, 'ok', 'read', 1],
    );
    expect(check(h).valid).toBe(true);
  });

  it('a pending cas takes effect only if it matches', () => {
    const base: Ev[] = [
      [0, 'invoke', 'write', 1],
      [0, 'ok', 'write', 1],
      [1, 'invoke', 'cas', [1, 3]],
      [0, 'invoke', 'read'],
    ];
    expect(check(history(...base, [0, 'ok', 'read', 3])).valid).toBe(true);
    expect(check(history(...base, [0, 'ok', 'read', 1])).valid).toBe(true);
    const wrong: Ev[] = [
      [0, 'invoke', 'write', 2],
      [0, 'ok', 'write', 2],
      [1, 'invoke', 'cas', [1, 3]],
      [0, 'invoke', 'read'],
    ];
    expect(check(history(...wrong, [0, 'ok', 'read', 3])).valid).toBe(false);
  });
});

describe('failed cas', () => {
  const h = history(
    [0, 'invoke', 'write', 0],
    [0, 'ok', 'write', 0],
    [0, 'invoke', 'cas', [0, 1]],
    [0, 'fail', 'cas', [0, 1]],
    [0, 'invoke', 'read'],
    [0, 'ok', 'read', 0],
  );
  it('dropped (Knossos): it never happened, so the value stays 0', () => {
    expect(check(h, { failedCas: 'drop' }).valid).toBe(true);
  });
  it('a mismatch (Porcupine etcd): illegal, since the value was 0 when it ran', () => {
    expect(check(h, { failedCas: 'mismatch' }).valid).toBe(false);
  });
  it('either way it never wrote its new value', () => {
    const g = history(
      [0, 'invoke', 'write', 2],
      [0, 'ok', 'write', 2],
      [0, 'invoke', 'cas', [0, 1]],
      [0, 'fail', 'cas', [0, 1]],
      [0, 'invoke', 'read'],
      [0, 'ok', 'read', 1],
    );
    expect(check(g, { failedCas: 'drop' }).valid).toBe(false);
    expect(check(g, { failedCas: 'mismatch' }).valid).toBe(false);
  });
  it('a mismatch against nil is legal: a cas against nil compares unequal', () => {
    const g = history([0, 'invoke', 'cas', [0, 1]], [0, 'fail', 'cas', [0, 1]]);
    expect(check(g, { failedCas: 'mismatch' }).valid).toBe(true);
  });
});

describe('nil reads', () => {
  const h = history(
    [0, 'invoke', 'write', 1],
    [0, 'ok', 'write', 1],
    [0, 'invoke', 'read'],
    [0, 'ok', 'read', null],
  );
  it('from nil, a nil read means the register is empty (Porcupine)', () => {
    expect(check(h).valid).toBe(false);
    expect(check(history([0, 'invoke', 'read'], [0, 'ok', 'read', null])).valid).toBe(true);
  });
  it('from 0, a nil read carries no information (Knossos)', () => {
    expect(check(h, { initial: 0 }).valid).toBe(true);
    expect(check(h, { initial: null, nilRead: 'unknown' }).valid).toBe(true);
  });
  it('a nil read can be made strict from 0 too', () => {
    expect(check(h, { initial: 0, nilRead: 'absent' }).valid).toBe(false);
  });
});

describe('time order', () => {
  const op = (
    f: string,
    input: unknown,
    output: unknown,
    call: number,
    ret: number,
    process = 0,
  ): Operation => ({
    process,
    f,
    key: undefined,
    invoke: { index: call, time: call, process, type: 'invoke', f, value: input as never },
    completion: { index: ret, time: ret, process, type: 'ok', f, value: output as never },
    type: 'ok',
    callIndex: call,
    returnIndex: ret,
    input: input as never,
    output: output as never,
  });
  it('ties count as overlap: an invocation at the instant of a completion is concurrent with it', () => {
    const ops = [op('write', 1, 1, 0, 5, 0), op('read', null, null, 5, 9, 1)];
    expect(checkLinearizableSync(ops, { model: 'register' }).valid).toBe(true);
    const later = [op('write', 1, 1, 0, 5, 0), op('read', null, null, 6, 9, 1)];
    expect(checkLinearizableSync(later, { model: 'register' }).valid).toBe(false);
  });
  it('an empty history is linearizable', () => {
    expect(check(history()).valid).toBe(true);
  });
});

describe('keys', () => {
  const h = history(
    [0, 'invoke', 'write', 1, 'a'],
    [0, 'ok', 'write', 1, 'a'],
    [1, 'invoke', 'write', 1, 'b'],
    [1, 'ok', 'write', 1, 'b'],
    [0, 'invoke', 'read', null, 'b'],
    [0, 'ok', 'read', 2, 'b'],
    [1, 'invoke', 'read', null, 'a'],
    [1, 'ok', 'read', 1, 'a'],
  );
  it('checks single-object models per key and gives the verdict per key', () => {
    const r = check(h, { allKeys: true });
    expect(r.valid).toBe(false);
    expect(r.keys.map((k) => [k.key, k.valid])).toEqual([
      ['a', true],
      ['b', false],
    ]);
    expect(r.failures[0]!.key).toBe('b');
    expect(r.summary).toMatch(/key "b"/);
  });
});

describe('evidence', () => {
  const knossos = (name: string) => knossosManifest().find((e) => e.file.endsWith(name))!.path;
  it.each([
    ['cas-failure.edn', 70, 491],
    ['immediate-failure.edn', 1, 3],
    ['rethink-fail-minimal.edn', 1, 4],
  ])(
    '%s names the operation Knossos names (process %i, completion %i)',
    async (name, process, completion) => {
      const r = check(await readHistoryFile(knossos(name)), { initial: 0 });
      const f = r.failures[0]!;
      expect(f.op?.process).toBe(process);
      expect(f.op?.completionIndex).toBe(completion);
      expect(f.longest.length).toBeGreaterThan(0);
      // Each step carries the state after it; the last state is where the stuck op failed.
      for (const step of f.longest[0]!) expect(typeof step.state).toBe('string');
      expect(JSON.parse(JSON.stringify(r)).valid).toBe(false);
    },
  );
  it('lists the operations concurrent with the failure point', () => {
    const h = history(
      [0, 'invoke', 'write', 1],
      [1, 'invoke', 'write', 2],
      [0, 'ok', 'write', 1],
      [1, 'ok', 'write', 2],
      [2, 'invoke', 'read'],
      [2, 'ok', 'read', 3],
    );
    const f = check(h).failures[0]!;
    expect(f.op?.f).toBe('read');
    expect(f.concurrent.map((o) => o.f)).toContain('read');
  });
});

describe('bounds', () => {
  const hard = porcupineManifest().find((e) => e.file.endsWith('c50-bad.txt'))!.path;
  it('a time limit gives unknown with partial evidence, promptly', async () => {
    const h = await readHistoryFile(hard);
    const t0 = performance.now();
    const r = checkLinearizableSync(h, { model: 'kv', allKeys: true, timeLimitMs: 300 });
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(r.valid).toBe(false); // some keys are refuted within the limit...
    const unknown = r.failures.filter((f) => f.valid === 'unknown');
    expect(unknown.length).toBeGreaterThan(0); // ...others are not
    expect(unknown[0]!.reason).toBe('time-limit');
    expect(unknown[0]!.longest[0]!.length).toBeGreaterThan(0);
    expect(r.keys.some((k) => k.valid === 'unknown' && k.reason === 'time-limit')).toBe(true);
  });
  it('a memo cap gives unknown instead of running out of memory', async () => {
    const h = await readHistoryFile(hard);
    const r = checkLinearizableSync(h, { model: 'kv', allKeys: true, memoLimitMb: 1 });
    const capped = r.failures.filter((f) => f.reason === 'memory-limit');
    expect(capped.length).toBeGreaterThan(0);
    expect(r.summary).toBeTypeOf('string');
  });
  it('only unknown keys give an unknown verdict', async () => {
    const h = await readHistoryFile(porcupineManifest().find((e) => e.file.endsWith('c50-ok.txt'))!.path);
    const r = checkLinearizableSync(h, { model: 'kv', memoLimitMb: 0.01 });
    expect(r.valid).toBe('unknown');
    expect(r.summary).toMatch(/^unknown: memoization memory cap/);
  });
});

describe('options and input errors', () => {
  const h = history([0, 'invoke', 'read'], [0, 'ok', 'read', null]);
  it('an unknown model is an InputError', () => {
    expect(() => checkLinearizableSync(h, { model: 'nope' })).toThrow(InputError);
    expect(() => checkLinearizableSync(h, { model: '' })).toThrow(InputError);
  });
  it('bad model options are InputErrors', () => {
    expect(() => checkLinearizableSync(h, { model: 'mutex', initial: 'free' })).toThrow(InputError);
    expect(() => checkLinearizableSync(h, { model: 'cas-register', nilRead: 'x' as never })).toThrow(
      InputError,
    );
  });
  it('an operation the model cannot interpret is an InputError', () => {
    const g = history([0, 'invoke', 'enqueue', 1], [0, 'ok', 'enqueue', 1]);
    expect(() => checkLinearizableSync(g, { model: 'cas-register' })).toThrow(/no operation "enqueue"/);
  });
  it('a history without real-time order is refused', () => {
    expect(() => checkLinearizableSync({ ...h, realTime: false }, { model: 'register' })).toThrow(
      /needs real-time order/,
    );
  });
});

describe('library entry point', () => {
  it('checkLinearizable and models work from faultline, and the checker is registered', async () => {
    const h = history([0, 'invoke', 'read'], [0, 'ok', 'read', 0]);
    expect((await checkLinearizable(h, { model: models.casRegister({ initial: 0 }) })).valid).toBe(true);
    expect((await checkLinearizable(h, { model: models.register() })).valid).toBe(false);
    const viaRegistry = await checkers.linearizable!.check(h, { model: 'cas-register', initial: 0 });
    expect(viaRegistry.valid).toBe(true);
    expect(typeof viaRegistry.summary).toBe('string');
  });
});
