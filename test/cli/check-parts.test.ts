/**
 * `faultline check` on a JSONL file read in two parts on two threads (the worker of
 * history/calls-part.ts, forced on small files here) prints what one reader gives: the same
 * verdict, summary and witness, and the same error naming the same line for a file whose
 * pairing breaks across the two parts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { generateFaultyHistory, toJsonlText } from '../../bench/history-gen.js';
import { BIN } from './cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'faultline-parts-'));

async function check(path: string, parts: boolean) {
  const env = { FAULTLINE_READ_PARTS_MB: parts ? '0' : '100000' };
  const r = await execa('node', [BIN, 'check', path, '--model', 'cas-register'], {
    reject: false,
    env,
    timeout: 120_000,
  });
  // Timings differ from run to run.
  return { code: r.exitCode, out: r.stdout.replace(/[\d.]+ ms/g, 'T ms'), err: r.stderr };
}

describe('check: a file read in two parts', () => {
  it.each([
    ['valid', {}],
    ['with stale reads and non-atomic cas', { staleReads: true, nonAtomicCas: true }],
  ])('prints what one reader gives (%s)', async (name, faults) => {
    const path = join(tmp, `${name.replaceAll(' ', '-')}.jsonl`);
    writeFileSync(
      path,
      toJsonlText(generateFaultyHistory({ ops: 20_000, keys: 5, processes: 6, ...faults })),
    );
    const [whole, parts] = await Promise.all([check(path, false), check(path, true)]);
    expect(parts).toEqual(whole);
    expect(whole.code).toBe(Object.keys(faults).length === 0 ? 0 : 1);
  });

  it('names the same line when a process invokes again while open, across the parts', async () => {
    const lines = toJsonlText(generateFaultyHistory({ ops: 2000, keys: 3, processes: 4, faults: false }))
      .trim()
      .split('\n');
    // A second invocation by process 0 past the middle, while its call from the first half may be open.
    const ops = lines.map((l) => JSON.parse(l) as { index: number; process: unknown; type: string });
    const late = ops.findIndex((op, i) => i > ops.length * 0.75 && op.process === 0 && op.type !== 'invoke');
    ops[late]!.type = 'invoke';
    const path = join(tmp, 'broken.jsonl');
    writeFileSync(path, `${ops.map((op) => JSON.stringify(op)).join('\n')}\n`);
    const [whole, parts] = await Promise.all([check(path, false), check(path, true)]);
    expect(parts).toEqual(whole);
    expect(whole.code).toBe(254);
    expect(whole.err).toMatch(/broken\.jsonl:\d+: /);
  });
});
