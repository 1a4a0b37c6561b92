/**
 * The run table as people read it (run.json): target, topology, nodes, workload, nemesis, seed,
 * duration, counts, versions, each formatted; everything else and the raw JSON behind a fold.
 */
import { esc } from './html.js';

type Meta = Record<string, unknown>;

const isObject = (v: unknown): v is Meta => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A value in a line: lists joined, flat objects as "key value" pairs, deeper ones as JSON. */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v))
    return v.every((x) => typeof x !== 'object' || x === null) ? v.join(', ') : JSON.stringify(v);
  const entries = Object.entries(v).filter(([, x]) => x !== undefined && x !== null);
  if (entries.length === 0) return '—';
  const inner = (x: unknown) =>
    Array.isArray(x) && x.every((y) => typeof y !== 'object' || y === null)
      ? x.join(', ')
      : typeof x === 'object'
        ? JSON.stringify(x)
        : String(x);
  return entries.map(([k, x]) => `${k} ${inner(x)}`).join(' · ');
}

function duration(meta: Meta): string | undefined {
  const start = typeof meta.start === 'string' ? Date.parse(meta.start) : Number.NaN;
  const end = typeof meta.end === 'string' ? Date.parse(meta.end) : Number.NaN;
  const work = typeof meta.workloadSeconds === 'number' ? `${meta.workloadSeconds} s of workload` : '';
  if (Number.isNaN(start)) return work || undefined;
  const total = Number.isNaN(end) ? 'not finished' : `${((end - start) / 1000).toFixed(1)} s in all`;
  return `${new Date(start)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC')}, ${total}${work ? `, ${work}` : ''}`;
}

function counts(meta: Meta): string | undefined {
  const c = meta.counts;
  if (!isObject(c)) return undefined;
  const total = ['ok', 'fail', 'info'].reduce(
    (n, k) => n + (typeof c[k] === 'number' ? (c[k] as number) : 0),
    0,
  );
  const rate = typeof meta.opsPerSecond === 'number' ? `, ${meta.opsPerSecond} ops/s` : '';
  return `${total} operations: ${c.ok ?? 0} ok, ${c.fail ?? 0} fail, ${c.info ?? 0} info${rate}`;
}

function nodes(meta: Meta): string | undefined {
  const n = meta.nodes;
  if (Array.isArray(n)) return `${n.length}: ${formatValue(n)}`;
  return n === undefined ? undefined : formatValue(n);
}

function nemesis(meta: Meta): string {
  const o = isObject(meta.options) ? meta.options : {};
  const nem = o.nemesis;
  if (nem === null || nem === undefined) return 'none';
  return formatValue(nem);
}

export function renderRunTable(meta: Meta): string {
  const o = isObject(meta.options) ? meta.options : {};
  const rows: Array<[string, string | undefined]> = [
    ['run', meta.runId === undefined ? undefined : String(meta.runId)],
    [
      'status',
      meta.status === undefined ? undefined : `${meta.status}${meta.error ? `: ${meta.error}` : ''}`,
    ],
    ['target', meta.target === undefined ? undefined : formatValue(meta.target)],
    ['topology', meta.topology === undefined ? undefined : formatValue(meta.topology)],
    ['nodes', nodes(meta)],
    ['runtime', meta.runtime === undefined ? undefined : formatValue(meta.runtime)],
    ['workload', meta.workload === undefined ? undefined : formatValue(meta.workload)],
    ['nemesis', nemesis(meta)],
    ['seed', meta.seed === undefined ? undefined : String(meta.seed)],
    ['when', duration(meta)],
    ['counts', counts(meta)],
    [
      'clients',
      o.concurrency === undefined
        ? undefined
        : `${o.concurrency} workers${o.rate ? `, ${o.rate} ops/s asked` : ''}${o.timeLimitS ? `, ${o.timeLimitS} s limit` : ''}`,
    ],
    ['versions', meta.versions === undefined ? undefined : formatValue(meta.versions)],
  ];
  const body = rows
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`)
    .join('');
  return `<table class="run">${body}</table>
<details><summary>run.json</summary><pre>${esc(JSON.stringify(meta, null, 2))}</pre></details>`;
}
