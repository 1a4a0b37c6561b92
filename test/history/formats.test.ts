import { describe, expect, it } from 'vitest';
import { pairOperations } from '../../src/history/operations.js';
import { detectFormat, parseHistory } from '../../src/history/read.js';

describe('format detection and importers', () => {
  it.each([
    ['{"index":0,"time":0,"process":0,"type":"invoke","f":"read","value":null}', 'jsonl'],
    ['{:process 0, :type :invoke, :f :read, :value nil}', 'edn'],
    ['; comment\n[{:process 0 :type :invoke :f :read}]', 'edn'],
    ['INFO  jepsen.util - 2\t:invoke\t:cas\t[3 0]', 'porcupine-etcd'],
    ['{\n "sessions": [[]]\n}', 'sessions-json'],
    ['hello world', undefined],
  ])('%j is %s', (text, format) => {
    expect(detectFormat(text)).toBe(format);
  });

  it('reads jepsen.independent tuples as keys, with a nemesis process', () => {
    const h = parseHistory(
      [
        '{:process 0, :type :invoke, :f :write, :value [:k1 3]}',
        '{:process :nemesis, :type :info, :f :start, :value nil}',
        '{:process 1, :type :invoke, :f :cas, :value [2 [3 4]]}',
        '{:process 0, :type :ok, :f :write, :value [:k1 3]}',
        '{:process 1, :type :fail, :f :cas, :value [2 [3 4]]}',
        '{:process 2, :type :invoke, :f :read, :value [:k1 nil]}',
      ].join('\n'),
      'h.edn',
    );
    expect(pairOperations(h).map((o) => [o.key, o.f, o.input, o.type])).toEqual([
      ['k1', 'write', 3, 'ok'],
      [2, 'cas', [3, 4], 'fail'],
      ['k1', 'read', null, 'info'],
    ]);
    expect(h.ops[1]).toMatchObject({ process: 'nemesis', type: 'info', f: 'start' });
    expect(h.ops.map((o) => o.time)).toEqual([0, 1, 2, 3, 4, 5]); // missing times filled from file order
  });

  it('does not mistake a plain cas-register for independent tuples', () => {
    const h = parseHistory(
      '[{:process 0 :type :invoke :f :cas :value [1 2]} {:process 0 :type :ok :f :cas :value [1 2]}]',
      'h.edn',
    );
    expect(h.ops[0]).toMatchObject({ value: [1, 2] });
    expect(h.ops[0]!.key).toBeUndefined();
  });

  it('reads Porcupine etcd logs by its rules: info lines dropped, failed cas kept, tab or spaces', () => {
    const h = parseHistory(
      [
        'INFO  jepsen.util - 0\t:invoke\t:write\t3',
        'INFO  jepsen.util - 1   :invoke   :cas   [3 0]',
        'INFO  jepsen.core - some other log line',
        'INFO  jepsen.util - 0\t:info\t:write\t:timed-out',
        'INFO  jepsen.util - 1\t:fail\t:cas\t[3 0]',
        'INFO  jepsen.util - 2\t:invoke\t:read\tnil',
        'INFO  jepsen.util - 2\t:fail\t:read\t:timed-out',
      ].join('\n'),
      'etcd.log',
    );
    expect(pairOperations(h).map((o) => [o.f, o.type, o.callIndex, o.returnIndex, o.input])).toEqual([
      ['write', 'info', 0, Number.POSITIVE_INFINITY, 3],
      ['cas', 'fail', 1, 2, [3, 0]],
      ['read', 'fail', 3, 4, null],
    ]);
    expect(h.ops.map((o) => o.time)).toEqual([0, 1, 4, 5, 6]); // time = 0-based line number
  });

  it('reads sessions JSON as processes without real time', () => {
    const h = parseHistory(
      '{"sessions":[[{"f":"write","key":"x","value":1}],[{"f":"read","key":"x","value":null}]]}',
      's.json',
    );
    expect(h.realTime).toBe(false);
    expect(pairOperations(h).map((o) => [o.process, o.f, o.input, o.output])).toEqual([
      [0, 'write', 1, 1],
      [1, 'read', null, null],
    ]);
  });
});
