import { describe, expect, it } from 'vitest';
import { pairOperations, readHistoryFile } from '../../src/history/index.js';
import { causalManifest, knossosManifest, porcupineManifest, porcupineTimings } from '../peers.js';

describe('peer histories import', () => {
  const porcupine = porcupineManifest();
  const timings = porcupineTimings();

  it('finds the peer data beside the project', () => {
    expect(porcupine.length).toBe(109); // 108 non-empty files and the empty etcd_095.log
    expect(knossosManifest().length).toBe(122);
  });

  it.each(porcupine.filter((e) => e.format === 'jepsen-etcd'))(
    '$file: op and pending counts match',
    async (e) => {
      const history = await readHistoryFile(e.path);
      const row = timings.get(e.file);
      const ops = pairOperations(history);
      if (e.file.endsWith('etcd_095.log')) {
        expect(ops.length).toBe(0);
        return;
      }
      expect(row).toBeDefined();
      expect(ops.length).toBe(row!.ops);
      expect(ops.filter((o) => o.completion === undefined).length).toBe(row!.pending);
    },
  );

  it.each(porcupine.filter((e) => e.format === 'kv'))('$file: imports with keys', async (e) => {
    const history = await readHistoryFile(e.path);
    const ops = pairOperations(history);
    expect(ops.length).toBeGreaterThan(0);
    expect(ops.every((o) => typeof o.key === 'string' && o.type === 'ok')).toBe(true);
    const counts: Record<string, number> = {
      'c01-ok': 58,
      'c01-bad': 38,
      'c10-ok': 337,
      'c10-bad': 405,
      'c50-ok': 1712,
      'c50-bad': 2024,
    };
    const name = e.file.replace(/^.*\//, '').replace('.txt', '');
    expect(ops.length).toBe(counts[name]);
  });

  it.each(knossosManifest())('$file imports', async (e) => {
    const history = await readHistoryFile(e.path);
    expect(history.ops.length).toBeGreaterThan(0);
    if (e.history_entries !== undefined) expect(history.ops.length).toBe(e.history_entries);
  });

  it.each(causalManifest())('$file imports as sessions without real time', async (e) => {
    const history = await readHistoryFile(e.path);
    expect(history.realTime).toBe(false);
    expect(history.ops.every((op) => op.type === 'invoke' || op.type === 'ok')).toBe(true);
  });
});
