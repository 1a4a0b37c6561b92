import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toJepsenEdn } from '../../src/history/export-edn.js';
import { parseJepsenEdn } from '../../src/history/import/jepsen-edn.js';
import { parseJsonl, toJsonl } from '../../src/history/jsonl.js';
import { readHistoryFile } from '../../src/history/read.js';
import { knossosManifest, porcupineManifest } from '../peers.js';
import { validHistory } from './generators.js';

describe('round trips', () => {
  it('JSONL → memory → JSONL is the identity on valid histories', () => {
    fc.assert(
      fc.property(validHistory, (history) => {
        const text = toJsonl(history);
        const back = parseJsonl(text, 'mem.jsonl');
        expect(back.ops).toEqual(history.ops);
        expect(toJsonl(back)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('EDN export → import gives the same history', () => {
    fc.assert(
      fc.property(validHistory, (history) => {
        const back = parseJepsenEdn(toJepsenEdn(history), 'mem.edn', { independent: false });
        expect(back.ops).toEqual(history.ops);
      }),
      { numRuns: 500 },
    );
  });

  it('EDN export with jepsen.independent tuples imports back to the same keys', () => {
    const keyed = validHistory.map((h) => ({
      ...h,
      ops: h.ops.map((op) =>
        op.process === 'nemesis' ? op : { ...op, key: op.key ?? 'k', f: op.f === 'cas' ? 'write' : op.f },
      ),
    }));
    fc.assert(
      fc.property(keyed, (history) => {
        const back = parseJepsenEdn(toJepsenEdn(history, { independentTuples: true }), 'mem.edn', {
          independent: true,
        });
        expect(back.ops).toEqual(history.ops);
      }),
      { numRuns: 300 },
    );
  });

  it('every peer history survives JSONL and EDN round trips', async () => {
    const files = [...porcupineManifest(), ...knossosManifest()].map((e) => e.path);
    for (const file of files) {
      const history = await readHistoryFile(file);
      expect(parseJsonl(toJsonl(history), file).ops).toEqual(history.ops);
      expect(parseJepsenEdn(toJepsenEdn(history), file).ops).toEqual(history.ops);
    }
  });
});
