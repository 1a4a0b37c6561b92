/**
 * Every Porcupine and Knossos reference history gets exactly the verdict in its MANIFEST.json,
 * with the model (and initial state) named there.
 */
import { describe, expect, it } from 'vitest';
import { checkLinearizable, type LinearizableOptions } from '../../../src/checker/linearizable/index.js';
import { readHistoryFile } from '../../../src/history/index.js';
import { knossosManifest, porcupineManifest } from '../../peers.js';

describe('linearizable: Porcupine histories', () => {
  const entries = porcupineManifest();
  it('lists 102 etcd and 6 kv files (and the empty etcd_095)', () => {
    expect(entries.filter((e) => e.format === 'jepsen-etcd').length).toBe(103);
    expect(entries.filter((e) => e.format === 'kv').length).toBe(6);
  });

  // Porcupine's etcd model: initial nil, a nil read needs the register to be nil, and a failed
  // cas is a real answer (the value differed from `expected`).
  const etcd: Omit<LinearizableOptions, 'model'> = {
    initial: null,
    nilRead: 'absent',
    failedCas: 'mismatch',
  };

  it.each(entries)('$file → $expected', async (e) => {
    const history = await readHistoryFile(e.path);
    const result = await checkLinearizable(history, {
      model: e.model,
      ...(e.model === 'cas-register' ? etcd : {}),
      timeLimitMs: 30_000,
    });
    expect(result.valid).toBe(e.expected);
  });

  it.each(entries.filter((e) => e.format === 'jepsen-etcd'))(
    '$file → $expected also when failed cas are dropped (Knossos rule)',
    async (e) => {
      const history = await readHistoryFile(e.path);
      const result = await checkLinearizable(history, { model: 'cas-register', failedCas: 'drop' });
      expect(result.valid).toBe(e.expected);
    },
  );
});

describe('linearizable: Knossos histories', () => {
  const entries = knossosManifest();
  it('lists 122 files', () => expect(entries.length).toBe(122));

  it.each(entries)('$file ($model) → $expected_valid', async (e) => {
    const history = await readHistoryFile(e.path);
    // The mutex entry names its initial state in words ("free (locked? false)"): the default.
    const initial = e.model === 'mutex' ? undefined : e.model_initial_state;
    const result = await checkLinearizable(history, {
      model: e.model,
      ...(initial === undefined ? {} : { initial: initial as never }),
      timeLimitMs: 30_000,
    });
    expect(result.valid).toBe(e.expected_valid);
  });

  it('rethink-fail files are also invalid from nil (Knossos asserts it with (cas-register nil))', async () => {
    for (const e of entries.filter((x) => x.file.includes('rethink-fail'))) {
      const history = await readHistoryFile(e.path);
      const result = await checkLinearizable(history, {
        model: 'cas-register',
        initial: null,
        nilRead: 'unknown',
      });
      expect(result.valid, e.file).toBe(false);
    }
  });
});
