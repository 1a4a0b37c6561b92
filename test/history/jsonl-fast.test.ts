/**
 * The JSONL fast path (hand-checked JSON.parse, no schema) never accepts what the checked path
 * rejects, and reads exactly the same history when it accepts: on generated run histories and on
 * the same histories with one line mutated (fields dropped, retyped, renamed, pairing broken).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateFaultyHistory, toJsonlText } from '../../bench/history-gen.js';
import { sourceLine } from '../../src/history/build.js';
import { parseJsonlChecked, parseJsonlFast } from '../../src/history/jsonl.js';

const checked = (text: string) => {
  try {
    return parseJsonlChecked(text, 'h.jsonl');
  } catch (e) {
    return e as Error;
  }
};

const MUTATIONS: Array<(o: Record<string, unknown>, r: number) => void> = [
  (o) => delete o.time,
  (o) => delete o.f,
  (o) => {
    o.index = (o.index as number) + 1;
  },
  (o) => {
    o.time = -1;
  },
  (o) => {
    o.time = 1.5;
  },
  (o) => {
    o.process = 'worker';
  },
  (o) => {
    o.type = 'done';
  },
  (o) => {
    o.f = '';
  },
  (o) => {
    o.key = { k: 1 };
  },
  (o) => {
    o.extra = true;
  },
  (o) => {
    o.node = 3;
  },
  (o) => {
    o.error = null;
  },
  (o, r) => {
    o.process = r % 5;
  },
  (o) => {
    o.type = o.type === 'invoke' ? 'ok' : 'invoke';
  },
  (o) => {
    o.f = 'other';
  },
  (o) => delete o.value,
  (o) => {
    o.value = [[[1]]];
  },
];

/** Field order aside (the fast path keeps the file's), the same events. */
const canon = (ops: readonly object[]) =>
  ops.map((o) => JSON.stringify(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)))).join('\n');

describe('JSONL fast path', () => {
  it('reads generated histories exactly as the checked path, with their source lines', () => {
    const text = toJsonlText(generateFaultyHistory({ ops: 3000, keys: 5, processes: 6 }));
    const fast = parseJsonlFast(text)!;
    expect(fast).toBeDefined();
    const slow = checked(text);
    if (slow instanceof Error) throw slow;
    expect(canon(fast.ops)).toBe(canon(slow.ops));
    expect(sourceLine(fast, 10)).toBe(11);
  });

  it('never accepts a mutated history the checked path rejects, and agrees when both accept', () => {
    const base = toJsonlText(generateFaultyHistory({ ops: 60, keys: 2, processes: 3 }))
      .trimEnd()
      .split('\n');
    let rejected = 0;
    fc.assert(
      fc.property(fc.nat(base.length - 1), fc.nat(MUTATIONS.length - 1), fc.nat(), (line, m, r) => {
        const lines = base.slice();
        const o = JSON.parse(lines[line]!);
        MUTATIONS[m]!(o, r);
        lines[line] = JSON.stringify(o);
        const text = `${lines.join('\n')}\n`;
        const slow = checked(text);
        const fast = parseJsonlFast(text);
        if (slow instanceof Error) {
          rejected++;
          expect(fast).toBeUndefined();
        } else if (fast) expect(canon(fast.ops)).toBe(canon(slow.ops));
      }),
      { numRuns: 600 },
    );
    expect(rejected).toBeGreaterThan(200);
  });

  it('blank lines keep line numbers; other oddities go to the checked path', () => {
    const text =
      '{"index":0,"time":0,"process":0,"type":"invoke","f":"read","value":null}\n\n{"index":1,"time":1,"process":0,"type":"ok","f":"read","value":1}\n';
    const fast = parseJsonlFast(text)!;
    expect(sourceLine(fast, 1)).toBe(3);
    expect(parseJsonlFast(text.replace('\n\n', '\n  \n'))).toBeUndefined();
    expect(parseJsonlFast(text.replace('"value":1', '"value":{"__proto__":1}'))).toBeUndefined();
    expect(parseJsonlFast(text.replace('"value":1', '"value":1e999'))).toBeUndefined();
  });
});
