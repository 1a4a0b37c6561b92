/**
 * From a campaign to its cells: the cross product of targets × workloads × nemeses × runtimes ×
 * seeds, less the excludes, each cell a run config with the overrides that match it applied.
 * Cell ids are made of the labels (`kvstore-register-partition-local-s1`), so the same cell
 * has the same id, and the same folder, in every run of the campaign and in every shard.
 */
import { ConfigError } from '../config/load.js';
import type { RunConfigInput } from '../config/schema.js';
import { zodLine } from '../runner/preflight.js';
import { type CampaignInput, campaignSchema, LABEL } from './schema.js';

export interface CellLabels {
  target: string;
  workload: string;
  nemesis: string;
  runtime: string;
  seed: number;
}

export interface Cell {
  id: string;
  labels: CellLabels;
  /** The cell's run config (names or objects), as `runConfig` takes it; reports and runId are the campaign's. */
  config: RunConfigInput;
  /** Node-log patterns added to the target's own defaults. */
  logPatterns: string[];
}

export interface Excluded {
  id: string;
  labels: CellLabels;
  reason?: string;
}

export interface Matrix {
  name: string;
  description?: string;
  reports: string;
  cells: Cell[];
  excluded: Excluded[];
  /** Defaults for the command's flags. */
  defaults: { parallel?: number; retries?: number; timeBudget?: number; failFast?: boolean };
}

type Entry<K extends string> = string | string[] | ({ label?: string } & Record<K, unknown>);

const nameOf = (ref: unknown): string =>
  typeof ref === 'string' ? ref : ((ref as { name?: string } | undefined)?.name ?? '?');

/** A label for an entry: its own, or its name made folder-safe. */
function labelOf(kind: string, entry: Entry<string>, key: string): string {
  if (typeof entry === 'object' && !Array.isArray(entry) && entry.label) return entry.label;
  const ref = typeof entry === 'object' && !Array.isArray(entry) && key in entry ? entry[key] : entry;
  const raw = Array.isArray(ref)
    ? ref.join('+')
    : kind === 'nemesis'
      ? String(ref).split(',').join('+')
      : nameOf(ref);
  const cleaned = raw.replace(/\s+/g, '').replace(/[^A-Za-z0-9_.+]/g, '_');
  if (!LABEL.test(cleaned))
    throw new ConfigError(`${kind} "${raw}": give it a label (letters, digits, _ . +)`);
  return cleaned;
}

function uniqueLabels(kind: string, labels: string[], where: string): void {
  const seen = new Set<string>();
  for (const l of labels) {
    if (seen.has(l))
      throw new ConfigError(`${where}: ${kind} label "${l}" appears twice (give each a label)`);
    seen.add(l);
  }
}

const asArray = <T>(v: T | T[] | undefined): T[] | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? v : [v];

type Match = {
  target?: string | string[];
  workload?: string | string[];
  nemesis?: string | string[];
  runtime?: string | string[];
  seed?: number | number[];
};

export function matches(m: Match, l: CellLabels): boolean {
  const fields: Array<[unknown[] | undefined, unknown]> = [
    [asArray(m.target), l.target],
    [asArray(m.workload), l.workload],
    [asArray(m.nemesis), l.nemesis],
    [asArray(m.runtime), l.runtime],
    [asArray(m.seed), l.seed],
  ];
  return fields.every(([want, have]) => want === undefined || want.includes(have));
}

export const cellId = (l: CellLabels) => `${l.target}-${l.workload}-${l.nemesis}-${l.runtime}-s${l.seed}`;

const OPTION_KEYS = ['targetOptions', 'workloadOptions', 'runtimeOptions'] as const;

/** `over` on top of `base`, field by field; the three options objects merged key by key. */
function mergeRun(base: RunConfigInput, over: Partial<RunConfigInput> | undefined): RunConfigInput {
  if (!over) return base;
  const out: Record<string, unknown> = { ...base, ...over };
  for (const k of OPTION_KEYS) if (base[k] || over[k]) out[k] = { ...base[k], ...over[k] };
  return out as RunConfigInput;
}

/**
 * Validates a campaign (one line per problem, naming the field) and expands it. `where` names
 * the file in messages; `defaultName` names the campaign when it does not name itself.
 */
export function expandCampaign(input: unknown, where: string, defaultName: string): Matrix {
  const parsed = campaignSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // An unknown field inside a block is named with its block (`run: unknown field "seed"`).
    if (issue?.code === 'unrecognized_keys' && issue.path.length > 0)
      throw new ConfigError(
        `${where}: ${issue.path.join('.')}: unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`,
      );
    throw new ConfigError(zodLine(where, parsed.error, ': '));
  }
  // The raw input from here on: run fields keep only what was written (defaults are applied
  // once per cell, after the overrides), so an override's missing field never resets the base.
  const c = input as CampaignInput;
  const name = c.name ?? defaultName;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.+-]*$/.test(name))
    throw new ConfigError(`${where}: name the campaign (name: "..."): "${name}" cannot name a folder`);

  const targets = c.targets.map((t) => ({
    label: labelOf('target', t as Entry<'target'>, 'target'),
    entry: t,
  }));
  const workloads = (c.workloads ?? ['register']).map((w) => ({
    label: labelOf('workload', w as Entry<'workload'>, 'workload'),
    entry: w,
  }));
  const nemeses = (c.nemeses ?? ['none']).map((n) => ({
    label: labelOf('nemesis', n as Entry<'nemesis'>, 'nemesis'),
    entry: n,
  }));
  const runtimes = (c.runtimes ?? ['local']).map((r) => ({
    label: labelOf('runtime', r as Entry<'runtime'>, 'runtime'),
    entry: r,
  }));
  const seeds =
    c.seeds === undefined ? [1] : typeof c.seeds === 'number' ? range(c.seeds) : [...new Set(c.seeds)];
  uniqueLabels(
    'target',
    targets.map((t) => t.label),
    where,
  );
  uniqueLabels(
    'workload',
    workloads.map((w) => w.label),
    where,
  );
  uniqueLabels(
    'nemesis',
    nemeses.map((n) => n.label),
    where,
  );
  uniqueLabels(
    'runtime',
    runtimes.map((r) => r.label),
    where,
  );

  const known = {
    target: targets.map((t) => t.label),
    workload: workloads.map((w) => w.label),
    nemesis: nemeses.map((n) => n.label),
    runtime: runtimes.map((r) => r.label),
  };
  const checkMatch = (m: Match, at: string) => {
    for (const k of ['target', 'workload', 'nemesis', 'runtime'] as const) {
      for (const v of asArray(m[k]) ?? []) {
        if (!known[k].includes(v))
          throw new ConfigError(
            `${where}: ${at}.${k}: no ${k} labelled "${v}" (labels: ${known[k].join(', ')})`,
          );
      }
    }
  };
  for (const [i, e] of (c.exclude ?? []).entries()) checkMatch(e, `exclude.${i}`);
  for (const [i, ov] of (c.overrides ?? []).entries()) checkMatch(ov, `overrides.${i}`);

  const cells: Cell[] = [];
  const excluded: Excluded[] = [];
  for (const t of targets) {
    for (const w of workloads) {
      for (const n of nemeses) {
        for (const r of runtimes) {
          for (const seed of seeds) {
            const labels: CellLabels = {
              target: t.label,
              workload: w.label,
              nemesis: n.label,
              runtime: r.label,
              seed,
            };
            const id = cellId(labels);
            const exclusion = (c.exclude ?? []).find((e) => matches(e, labels));
            if (exclusion) {
              excluded.push({ id, labels, ...(exclusion.reason ? { reason: exclusion.reason } : {}) });
              continue;
            }
            let config = mergeRun({ ...c.run } as RunConfigInput, targetPart(t.entry));
            config = mergeRun(config, workloadPart(w.entry));
            config = mergeRun(config, nemesisPart(n.entry));
            config = mergeRun(config, runtimePart(r.entry));
            config.seed = seed;
            for (const o of c.overrides ?? [])
              if (matches(o, labels)) config = mergeRun(config, o.run as RunConfigInput);
            const own = typeof t.entry === 'object' && 'target' in t.entry ? (t.entry.logPatterns ?? []) : [];
            cells.push({ id, labels, config, logPatterns: [...(c.logPatterns ?? []), ...own] });
          }
        }
      }
    }
  }
  const ids = new Set<string>();
  for (const cell of cells) {
    if (ids.has(cell.id))
      throw new ConfigError(`${where}: two cells would be named "${cell.id}" (relabel one)`);
    ids.add(cell.id);
  }
  if (cells.length === 0) throw new ConfigError(`${where}: every cell is excluded`);
  return {
    name,
    ...(c.description ? { description: c.description } : {}),
    reports: c.reports ?? 'reports',
    cells,
    excluded,
    defaults: { parallel: c.parallel, retries: c.retries, timeBudget: c.timeBudget, failFast: c.failFast },
  };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

function targetPart(e: CampaignInput['targets'][number]): Partial<RunConfigInput> {
  if (typeof e === 'string' || 'deploy' in e) return { target: e };
  return {
    target: e.target,
    ...(e.options ? { targetOptions: e.options } : {}),
    ...(e.topology !== undefined ? { topology: e.topology } : {}),
    ...(e.nodes !== undefined ? { nodes: e.nodes } : {}),
  };
}

function workloadPart(e: NonNullable<CampaignInput['workloads']>[number]): Partial<RunConfigInput> {
  if (typeof e === 'string') return { workload: e };
  return { workload: e.workload, ...(e.options ? { workloadOptions: e.options } : {}) };
}

const isNone = (f: string | string[]) => (Array.isArray(f) ? f.join(',') : f).trim() === 'none';

function nemesisPart(e: NonNullable<CampaignInput['nemeses']>[number]): Partial<RunConfigInput> {
  if (typeof e === 'string' || Array.isArray(e)) return isNone(e) ? {} : { nemesis: e };
  const { label: _label, nemesis, ...rest } = e;
  return isNone(nemesis) ? {} : { nemesis, ...rest };
}

function runtimePart(e: NonNullable<CampaignInput['runtimes']>[number]): Partial<RunConfigInput> {
  if (typeof e === 'string') return { runtime: e };
  return { runtime: e.runtime, ...(e.options ? { runtimeOptions: e.options } : {}) };
}

/** "2/3" → { index: 2, count: 3 } (1-based). */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || count < 1 || index < 1 || index > count)
    throw new Error(`--shard: expected i/n with 1 ≤ i ≤ n, like 2/3 (got "${text}")`);
  return { index, count };
}

/**
 * The cells of shard i of n: every n-th cell of the matrix order, starting at the i-th. The
 * shards of one campaign are disjoint, their union is every cell, their sizes differ by at
 * most one, and each mixes the targets and nemeses (cells of one kind are not bunched).
 */
export function shardCells<T>(cells: readonly T[], shard: { index: number; count: number }): T[] {
  return cells.filter((_, i) => i % shard.count === shard.index - 1);
}
