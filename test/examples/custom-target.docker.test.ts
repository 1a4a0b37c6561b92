/**
 * The user-target example (examples/custom-target/): PostgreSQL, defined outside src/ against
 * the public API, run through the real `faultline` binary with its two config files, as the
 * example's README says:
 *   - reads from the asynchronous replica: exit 1, the linearizability checker refutes it;
 *   - reads from the primary under kill and pause: exit 0, and the history shows the nemesis
 *     really killed and paused nodes (the primary among them) and operations failing then.
 * And a config file with a bad field: exit 254, one line naming the field.
 * Each on the Docker and on the local runtime. The runs skip (saying why) when no Docker engine
 * answers (Docker) or PostgreSQL 15 is not installed.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Op } from '../../src/history/op.js';
import { readHistoryFile } from '../../src/history/read.js';
import { engineStatus } from '../../src/runtime/docker/engine.js';
import { faultline } from '../cli/cli.js';
import { completedOps, lostWrites } from '../nemesis/evidence.js';

const POSTGRES = '/usr/lib/postgresql/15/bin/postgres';
const engine = await engineStatus();
const noPostgres = existsSync(POSTGRES)
  ? undefined
  : `no ${POSTGRES} (bash scripts/setup-docker.sh installs Debian's postgresql)`;
/** The example on each runtime, with why it cannot run here (if it cannot). */
const RUNTIMES = [
  { runtime: 'docker', skip: engine.ok ? noPostgres : engine.reason },
  { runtime: 'local', skip: noPostgres },
] as const;
for (const r of RUNTIMES)
  if (r.skip) console.warn(`SKIPPING the PostgreSQL example runs on ${r.runtime}: ${r.skip}`);

const reports = mkdtempSync(join(tmpdir(), 'faultline-example-test-'));
// Run by root, the local runtime's PostgreSQL is nobody, who must enter the reports directory.
chmodSync(reports, 0o755);
const EXAMPLE = 'examples/custom-target';

async function runExample(config: string, runtime: string) {
  const r = await faultline(
    'run',
    '--config',
    `${EXAMPLE}/${config}`,
    '--runtime',
    runtime,
    '--reports',
    reports,
    '--json',
  );
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (!line.startsWith('{')) throw new Error(`no result (exit ${r.code}):\n${r.stderr.slice(-3000)}`);
  const summary = JSON.parse(line) as { dir: string; valid: unknown; counts: Record<string, number> };
  const results = JSON.parse(readFileSync(join(summary.dir, 'results.json'), 'utf8'));
  const history = await readHistoryFile(join(summary.dir, 'history.jsonl'), { format: 'jsonl' });
  return { code: r.code, stderr: r.stderr, summary, results, ops: history.ops };
}

const completions = (ops: readonly Op[], f: string) =>
  ops.filter((o) => o.process !== 'nemesis' && o.type !== 'invoke' && o.f === f);

describe.each(RUNTIMES)(
  'examples/custom-target: PostgreSQL from a config file, $runtime runtime',
  ({ runtime, skip }) => {
    if (skip) return void it.skip(`skipped: ${skip}`, () => {});
    it('reads from the streaming replica: stale reads, exit 1', { timeout: 180_000 }, async () => {
      const r = await runExample('replica-reads.config.ts', runtime);
      expect(r.code, r.stderr).toBe(1);
      expect(r.summary.valid).toBe(false);
      expect(r.results.results.linearizable.valid).toBe(false);
      // The workload really ran: writes on the primary, reads answered by the replica.
      expect(r.summary.counts.ok).toBeGreaterThan(500);
      const reads = completions(r.ops, 'read').filter((o) => o.type === 'ok');
      expect(reads.length).toBeGreaterThan(100);
      expect(new Set(reads.map((o) => o.node))).toEqual(new Set(['n2']));
      expect(completions(r.ops, 'write').every((o) => o.node === 'n1')).toBe(true);
      // Stale reads, seen in the history itself: a read invoked after a write was acknowledged
      // returned an older value (or nil).
      const stale = lostWrites(completedOps(r.ops));
      expect(stale.length).toBeGreaterThan(0);
    });

    it('reads from the primary under kill and pause: linearizable, exit 0', {
      timeout: 180_000,
    }, async () => {
      const r = await runExample('primary-reads.config.ts', runtime);
      expect(r.code, r.stderr).toBe(0);
      expect(r.summary.valid).toBe(true);
      expect(r.results.results.linearizable.valid).toBe(true);
      expect(r.summary.counts.ok).toBeGreaterThan(500);
      // The nemesis really acted: the primary killed and restarted, nodes paused and resumed.
      const nemesis = r.ops.filter((o) => o.process === 'nemesis' && !o.error);
      const nodesOf = (f: string) =>
        nemesis.filter((o) => o.f === f).flatMap((o) => (o.value as { nodes: string[] }).nodes);
      expect(nodesOf('kill')).toContain('n1');
      expect(nodesOf('start')).toContain('n1');
      expect(nodesOf('pause').length).toBeGreaterThan(0);
      expect(nodesOf('resume').length).toBeGreaterThan(0);
      // And it hurt: operations failed or ended unknown while the faults were on.
      const intervals = r.results.nemesis as { start: number; end: number | null }[];
      const hurt = r.ops.filter(
        (o) =>
          o.process !== 'nemesis' &&
          (o.type === 'fail' || o.type === 'info') &&
          o.error !== 'cas-mismatch' &&
          intervals.some((i) => o.time >= i.start && o.time <= (i.end ?? Number.POSITIVE_INFINITY)),
      );
      expect(hurt.length).toBeGreaterThan(0);
    });
  },
);

describe('faultline run --config with a bad field', () => {
  it('exits 254 with one line naming the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-bad-config-'));
    const misspelt = join(dir, 'misspelt.config.mjs');
    writeFileSync(misspelt, "export default { target: 'kvstore', concurency: 4 };\n");
    const wrongType = join(dir, 'wrong-type.config.ts');
    writeFileSync(wrongType, "export default { target: 'kvstore', timeLimit: 'ten seconds' };\n");
    for (const [file, field] of [
      [misspelt, 'concurency'],
      [wrongType, 'timeLimit'],
    ] as const) {
      const r = await faultline('run', '--config', file);
      expect(r.code, r.stderr).toBe(254);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(file);
      expect(lines[0]).toContain(field);
    }
  });
});
