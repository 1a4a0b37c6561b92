/**
 * Campaigns in the reports index: a campaign folder (it holds campaign.json) is shown as a
 * matrix, one row per target × workload × runtime, one column per nemesis set, one square per
 * seed coloured by the cell's verdict (outcome.json beside its run) and linking to its report.
 * Excluded cells are grey, cells not run (yet) are blank. No script: links and inline CSS only.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { esc } from './html.js';
import { relativeHref } from './links.js';

interface Labels {
  target: string;
  workload: string;
  nemesis: string;
  runtime: string;
  seed: number;
}
interface CampaignFile {
  campaign: string;
  description?: string;
  cells: Array<{ id: string; labels: Labels }>;
  excluded: Array<{ id: string; labels: Labels; reason?: string }>;
}
interface Outcome {
  status: string;
  summary: string;
  durationS?: number;
}

const CAMPAIGN_FILE = 'campaign.json';

export const isCampaignDir = (dir: string) => existsSync(join(dir, CAMPAIGN_FILE));

const readJson = <T>(path: string): T | undefined => {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
};

export const CAMPAIGN_CSS = `.matrix{border-collapse:collapse;margin:.5rem 0 1.5rem}.matrix th,.matrix td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:middle}
.cell{display:inline-block;min-width:1.6rem;height:1.4rem;line-height:1.4rem;margin:1px;border-radius:3px;text-align:center;font-size:11px;color:#fff;text-decoration:none}
.c-valid{background:#2e7d32}.c-invalid{background:#c62828}.c-unknown{background:#b26a00}.c-error{background:#6a1b9a}.c-interrupted{background:#546e7a}
.c-pending{background:#fff;color:#888;border:1px dashed #aaa}.c-excluded{background:#e0e0e0;color:#777}.legend .cell{padding:0 .4rem}`;

const LEGEND = `<p class="legend">${[
  ['valid', 'valid'],
  ['invalid', 'invalid'],
  ['unknown', 'unknown'],
  ['error', 'harness error'],
  ['interrupted', 'interrupted'],
  ['pending', 'not run'],
  ['excluded', 'excluded'],
]
  .map(([c, w]) => `<span class="cell c-${c}">${esc(w)}</span>`)
  .join(' ')}</p>`;

/** The matrix of one campaign folder; links are relative to `base` segments (the page's place). */
export function campaignMatrix(dir: string, base: string[] = []): string {
  const c = readJson<CampaignFile>(join(dir, CAMPAIGN_FILE));
  if (!c || !Array.isArray(c.cells)) return '<p>campaign.json is missing or unreadable.</p>';
  const all = [
    ...c.cells.map((x) => ({ ...x, excluded: undefined as string | undefined })),
    ...(c.excluded ?? []).map((x) => ({ id: x.id, labels: x.labels, excluded: x.reason ?? 'excluded' })),
  ];
  const uniq = (f: (l: Labels) => string | number) => [...new Set(all.map((x) => f(x.labels)))];
  const nemeses = uniq((l) => l.nemesis) as string[];
  const rowKey = (l: Labels) => `${l.target} · ${l.workload} · ${l.runtime}`;
  const rows = uniq(rowKey) as string[];
  const seeds = (uniq((l) => l.seed) as number[]).sort((a, b) => a - b);
  const counts: Record<string, number> = {};
  const square = (row: string, nemesis: string, seed: number) => {
    const x = all.find(
      (y) => rowKey(y.labels) === row && y.labels.nemesis === nemesis && y.labels.seed === seed,
    );
    if (!x) return '';
    if (x.excluded !== undefined)
      return `<span class="cell c-excluded" title="${esc(`${x.id}: excluded: ${x.excluded}`)}">s${esc(seed)}</span>`;
    const o = readJson<Outcome>(join(dir, x.id, 'outcome.json'));
    const status = o?.status && o.status !== 'not-run' ? o.status : 'pending';
    counts[status] = (counts[status] ?? 0) + 1;
    const title = `${x.id}: ${o ? `${o.status}${o.durationS !== undefined ? ` (${o.durationS} s)` : ''}: ${o.summary}` : 'not run'}`;
    const page = existsSync(join(dir, x.id, 'index.html'));
    const cls = `cell c-${esc(status.replace(/[^a-z-]/g, ''))}`;
    return page
      ? `<a class="${cls}" href="${esc(relativeHref(...base, x.id, 'index.html'))}" title="${esc(title)}">s${esc(seed)}</a>`
      : `<span class="${cls}" title="${esc(title)}">s${esc(seed)}</span>`;
  };
  const head = `<tr><th>target · workload · runtime</th>${nemeses.map((n) => `<th>${esc(n)}</th>`).join('')}</tr>`;
  const body = rows
    .map(
      (row) =>
        `<tr><th>${esc(row)}</th>${nemeses.map((n) => `<td>${seeds.map((s) => square(row, n, s)).join('')}</td>`).join('')}</tr>`,
    )
    .join('');
  const tally = Object.entries(counts)
    .map(([k, n]) => `${n} ${k === 'pending' ? 'not run' : k}`)
    .join(', ');
  return `${c.description ? `<p>${esc(c.description)}</p>` : ''}<p>${c.cells.length} cells${tally ? `: ${esc(tally)}` : ''}${
    c.excluded?.length ? `; ${c.excluded.length} excluded` : ''
  }</p><table class="matrix">${head}${body}</table>`;
}

/** `<dir>/index.html` for a campaign folder: its matrix. */
export function writeCampaignIndex(dir: string): string {
  const c = readJson<CampaignFile>(join(dir, CAMPAIGN_FILE));
  const name = c?.campaign ?? 'campaign';
  const files = ['summary.json', 'junit.xml'].filter((f) => existsSync(join(dir, f)));
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>faultline campaign ${esc(name)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem}${CAMPAIGN_CSS}</style>
</head><body><h1>campaign ${esc(name)}</h1>
<p><a href="../index.html">all runs</a>${files
    .map((f) => ` · <a href="${esc(relativeHref(f))}">${esc(f)}</a>`)
    .join('')}</p>
${campaignMatrix(dir)}${LEGEND}</body></html>\n`;
  const out = join(dir, 'index.html');
  writeFileSync(out, html);
  return out;
}

/** One section per campaign folder in a reports folder (for reports/index.html). */
export function campaignSections(reportsDir: string): string {
  if (!existsSync(reportsDir)) return '';
  const dirs = readdirSync(reportsDir)
    .filter((name) => {
      const p = join(reportsDir, name);
      return statSync(p).isDirectory() && isCampaignDir(p);
    })
    .sort((a, b) => statSync(join(reportsDir, b)).mtimeMs - statSync(join(reportsDir, a)).mtimeMs);
  if (dirs.length === 0) return '';
  return `<style>${CAMPAIGN_CSS}</style><h2>campaigns</h2>${dirs
    .map(
      (name) =>
        `<h3><a href="${esc(relativeHref(name, 'index.html'))}">${esc(name)}</a></h3>${campaignMatrix(join(reportsDir, name), [name])}`,
    )
    .join('')}${LEGEND}<h2>runs</h2>`;
}
