/** Where the peers' reference histories live: ../shared beside the project (never copied in). */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SHARED = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared');
export const PEERS = join(SHARED, 'peers');

export interface PorcupineEntry {
  file: string;
  format: 'jepsen-etcd' | 'kv';
  model: 'cas-register' | 'kv';
  expected: boolean;
}

export interface KnossosEntry {
  file: string;
  model: 'cas-register' | 'multi-register' | 'mutex';
  model_initial_state: unknown;
  expected_valid: boolean;
  history_entries?: number;
}

export interface CausalEntry {
  file: string;
  format: string;
  expected: { CC: boolean; CCv: boolean; CM: boolean; SC?: boolean };
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

export const porcupineManifest = () =>
  readJson<PorcupineEntry[]>(join(PEERS, 'porcupine', 'MANIFEST.json')).map((e) => ({
    ...e,
    path: join(PEERS, 'porcupine', e.file),
  }));

export const knossosManifest = () =>
  readJson<{ entries: KnossosEntry[] }>(join(PEERS, 'knossos', 'MANIFEST.json')).entries.map((e) => ({
    ...e,
    path: join(PEERS, 'knossos', e.file),
  }));

export const causalManifest = () =>
  readJson<CausalEntry[]>(join(PEERS, 'causal', 'tla-causal-consistency', 'MANIFEST.json')).map((e) => ({
    ...e,
    path: join(PEERS, 'causal', 'tla-causal-consistency', e.file),
  }));

/** Porcupine's per-file figures: ops and pending counts, and its own check times. */
export function porcupineTimings(): Map<string, { ops: number; pending: number; ms: number }> {
  const rows = readFileSync(join(PEERS, 'porcupine', 'porcupine-timings.tsv'), 'utf8')
    .trim()
    .split('\n');
  const header = rows[0]!.split('\t');
  const col = (name: string) => header.indexOf(name);
  const out = new Map<string, { ops: number; pending: number; ms: number }>();
  for (const row of rows.slice(1)) {
    const cells = row.split('\t');
    out.set(cells[col('file')]!, {
      ops: Number(cells[col('ops')]),
      pending: Number(cells[col('pending')]),
      ms: Number(cells[col('check_events_ms_gomaxprocs2_min3')]),
    });
  }
  return out;
}
