import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/history/errors.js';
import { pairOperations } from '../../src/history/operations.js';
import { parseHistory } from '../../src/history/read.js';

const jsonl = (...events: object[]) =>
  events.map((e, index) => JSON.stringify({ index, time: index * 10, value: null, ...e })).join('\n');

const rejects = (text: string, line: number, reason: string) => {
  let error: unknown;
  try {
    parseHistory(text, 'h.jsonl');
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InputError);
  expect((error as InputError).message).toBe(`h.jsonl:${line}: ${reason}`);
};

describe('history rules', () => {
  it('accepts a well-formed history and pairs its operations', () => {
    const h = parseHistory(
      jsonl(
        { process: 0, type: 'invoke', f: 'write', key: 'k', value: 1 },
        { process: 1, type: 'invoke', f: 'read' },
        { process: 0, type: 'ok', f: 'write', key: 'k', value: 1 },
        { process: 'nemesis', type: 'info', f: 'partition', value: { n1: ['n2'] } },
        { process: 1, type: 'info', f: 'read', error: 'timeout' },
        { process: 2, type: 'invoke', f: 'cas', value: [1, 2] },
      ),
      'h.jsonl',
    );
    const ops = pairOperations(h);
    expect(ops.map((o) => [o.process, o.f, o.type, o.callIndex, o.returnIndex])).toEqual([
      [0, 'write', 'ok', 0, 2],
      [1, 'read', 'info', 1, 4],
      [2, 'cas', 'info', 5, Number.POSITIVE_INFINITY],
    ]);
    expect(ops[2]!.completion).toBeUndefined();
  });

  it('rejects a completion without an invocation', () => {
    rejects(
      jsonl({ process: 0, type: 'ok', f: 'read' }),
      1,
      'ok completion of read by process 0 without an invocation',
    );
  });

  it('rejects a completion of another f', () => {
    rejects(
      jsonl({ process: 0, type: 'invoke', f: 'read' }, { process: 0, type: 'ok', f: 'write' }),
      2,
      "ok completion of write does not match process 0's open read",
    );
  });

  it('rejects a completion on another key', () => {
    rejects(
      jsonl(
        { process: 0, type: 'invoke', f: 'read', key: 'a' },
        { process: 0, type: 'ok', f: 'read', key: 'b' },
      ),
      2,
      "completion key b does not match the invocation's a",
    );
  });

  it('rejects two open invocations in one process', () => {
    rejects(
      jsonl({ process: 3, type: 'invoke', f: 'read' }, { process: 3, type: 'invoke', f: 'write' }),
      2,
      'process 3 invokes write while its read from line 1 is open',
    );
  });

  it('rejects a process used again after info', () => {
    rejects(
      jsonl(
        { process: 3, type: 'invoke', f: 'read' },
        { process: 3, type: 'info', f: 'read' },
        { process: 3, type: 'invoke', f: 'read' },
      ),
      3,
      'process 3 is used again after its info completion on line 2',
    );
  });

  it.each([
    ['{"index":0,"time":0,"process":"x","type":"invoke","f":"read"}', 'field "process"'],
    ['{"index":0,"time":0,"process":1,"type":"done","f":"read"}', 'field "type"'],
    ['{"index":0,"time":-5,"process":1,"type":"invoke","f":"read"}', 'field "time"'],
    ['{"index":3,"time":0,"process":1,"type":"invoke","f":"read"}', 'index 3 where 0 was expected'],
    ['{"index":0,"time":0,"process":1,"type":"invoke","f":"read"', 'not valid JSON'],
    ['{"index":0,"time":0,"process":1,"type":"invoke","f":"read","bogus":1}', 'bogus'],
  ])('rejects %s', (text, reason) => {
    expect(() => parseHistory(text, 'h.jsonl')).toThrow(InputError);
    expect(() => parseHistory(text, 'h.jsonl')).toThrow(/^h\.jsonl:1: /);
    expect(() => parseHistory(text, 'h.jsonl')).toThrow(reason);
  });
});
