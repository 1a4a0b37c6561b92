/** fast-check generators of valid histories, shared by history and checker tests. */
import fc from 'fast-check';
import type { History, Op, Value } from '../../src/history/op.js';

const scalar: fc.Arbitrary<Value> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -1000, max: 1000 }),
  fc.string({ maxLength: 6 }),
);
export const jsonValue: fc.Arbitrary<Value> = fc.letrec<{ v: Value }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), tie('v'), { maxKeys: 3 }),
  ),
})).v;

interface Step {
  process: number;
  f: string;
  key: string | number | undefined;
  input: Value;
  output: Value;
  outcome: 'ok' | 'fail' | 'info' | 'open';
  nemesis: boolean;
}

const step: fc.Arbitrary<Step> = fc.record({
  process: fc.integer({ min: 0, max: 4 }),
  f: fc.constantFrom('read', 'write', 'cas', 'append', 'clock-bump'),
  key: fc.option(fc.oneof(fc.constantFrom('a', 'k1'), fc.integer({ min: 0, max: 3 })), { nil: undefined }),
  input: jsonValue,
  output: jsonValue,
  outcome: fc.constantFrom('ok', 'ok', 'fail', 'info', 'open'),
  nemesis: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
});

/**
 * Valid histories: processes run one operation at a time, a process that ends with info is
 * replaced by a fresh id, some invocations stay open at the end, nemesis events interleave.
 */
export const validHistory: fc.Arbitrary<History> = fc
  .array(fc.tuple(step, fc.integer({ min: 0, max: 3 })), { maxLength: 30 })
  .map((steps) => {
    const ops: Op[] = [];
    let time = 0;
    const push = (op: Omit<Op, 'index' | 'time'>) => {
      time += 1 + (ops.length % 7) * 1000;
      const full: Op = { index: ops.length, time, ...op };
      if (full.key === undefined) delete full.key;
      ops.push(full);
    };
    const idOf = new Map<number, number>(); // worker → current process id
    let nextId = 5;
    const pending: Array<(() => void) | undefined> = [];
    for (const [s, delay] of steps) {
      if (s.nemesis) {
        push({ process: 'nemesis', type: 'info', f: 'partition', value: s.input });
        continue;
      }
      const worker = s.process;
      const process = idOf.get(worker) ?? worker;
      if (pending[worker]) continue; // worker busy
      push({ process, type: 'invoke', f: s.f, key: s.key, value: s.input });
      if (s.outcome === 'open') {
        idOf.set(worker, nextId++); // never completes: the worker carries on under a new id
        continue;
      }
      const complete = () => {
        const done: Omit<Op, 'index' | 'time'> = {
          process,
          type: s.outcome as Op['type'],
          f: s.f,
          key: s.key,
          value: s.output,
        };
        if (s.outcome !== 'ok') done.error = 'timeout';
        push(done);
        if (s.outcome === 'info') idOf.set(worker, nextId++);
      };
      if (delay === 0) complete();
      else pending[worker] = complete;
      // complete some pending workers at random points
      for (let w = 0; w < pending.length; w++) {
        const p = pending[w];
        if (p && w !== worker && delay > 1) {
          p();
          pending[w] = undefined;
        }
      }
    }
    return { ops, realTime: true };
  });

/**
 * A file's bytes for the byte readers' tests: lines joined by `sep` (and after the last line
 * when `trailing`), with one stray byte put in at a position when `broken` says where and which.
 */
export function fileBytes(
  lines: readonly string[],
  sep: string,
  trailing: boolean,
  broken: readonly [number, number] | null,
): Buffer {
  const bytes = Buffer.from(lines.join(sep) + (trailing ? sep : ''));
  if (!broken) return bytes;
  const [at, byte] = broken;
  const i = at % (bytes.length + 1);
  return Buffer.concat([bytes.subarray(0, i), Buffer.from([byte]), bytes.subarray(i)]);
}
