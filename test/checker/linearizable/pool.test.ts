/**
 * The worker-thread path. Workers run the compiled checker, so this suite needs `npm run build`
 * first; without dist/ it is skipped (the in-thread path is what every other suite covers).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type * as Lin from '../../../src/checker/linearizable/index.js';
import { readHistoryFile } from '../../../src/history/index.js';
import { porcupineManifest } from '../../peers.js';

const dist = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  'dist',
  'src',
  'checker',
  'linearizable',
  'index.js',
);

describe.skipIf(!existsSync(dist))('linearizable on a worker thread (compiled build)', () => {
  it.each(porcupineManifest().filter((e) => e.format === 'kv'))(
    '$file → $expected with keys shared with a worker',
    async (e) => {
      const lin = (await import(dist)) as typeof Lin;
      const history = await readHistoryFile(e.path);
      // Tiny slices make every key "hard" at once, so the worker certainly gets some.
      const shared = await lin.checkLinearizable(history, { model: 'kv', parallelAfterMs: 0, sliceSteps: 8 });
      expect(shared.valid).toBe(e.expected);
      const all = await lin.checkLinearizable(history, {
        model: 'kv',
        parallelAfterMs: 0,
        sliceSteps: 8,
        allKeys: true,
        timeLimitMs: 1500,
      });
      const alone = lin.checkLinearizableSync(history, { model: 'kv', allKeys: true, timeLimitMs: 1500 });
      // Per-key verdicts agree with the in-thread check wherever both finished.
      for (const [i, k] of all.keys.entries()) {
        const a = alone.keys[i]!;
        if (k.valid !== 'unknown' && a.valid !== 'unknown') expect(k.valid, String(k.key)).toBe(a.valid);
      }
    },
  );
});
