/**
 * Writing reports to disk: a run directory's index.html (from history.jsonl, run.json and
 * results.json) and the reports/index.html that lists every run.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InputError } from '../history/errors.js';
import { readHistoryFile } from '../history/read.js';
import { campaignSections, isCampaignDir, writeCampaignIndex } from './campaign.js';
import { esc, verdictBadge } from './html.js';
import { relativeHref } from './links.js';
import { renderReport } from './page.js';

const readJson = (path: string): Record<string, unknown> | undefined => {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(path, undefined, `not valid JSON (${(e as Error).message})`);
  }
};

/** Renders `<dir>/index.html` for a run directory; returns its path. */
export async function writeRunReport(dir: string): Promise<string> {
  const historyPath = join(dir, 'history.jsonl');
  if (!existsSync(historyPath))
    throw new InputError(dir, undefined, 'not a run directory (no history.jsonl)');
  const history = await readHistoryFile(historyPath);
  const meta = readJson(join(dir, 'run.json'));
  const results = readJson(join(dir, 'results.json'));
  const nodesDir = join(dir, 'nodes');
  const nodeLogs = existsSync(nodesDir) ? readdirSync(nodesDir).filter((f) => f.endsWith('.log')) : [];
  const html = renderReport({
    title: `faultline run ${basename(dir)}`,
    valid: results?.valid ?? 'unknown',
    history,
    results: (results?.results as Record<string, Record<string, unknown>>) ?? {},
    ...(meta ? { meta } : {}),
    links: [
      { href: 'history.jsonl', label: 'history.jsonl' },
      ...(results ? [{ href: 'results.json', label: 'results.json' }] : []),
      ...nodeLogs.map((f) => ({ href: `nodes/${f}`, label: f })),
    ],
  });
  const out = join(dir, 'index.html');
  writeFileSync(out, html);
  return out;
}

/** Renders `<reportsDir>/index.html` listing every run directory, newest first. */
export function writeRunsIndex(reportsDir: string): string {
  // A campaign's folder shows its matrix; a reports folder shows its campaigns above its runs.
  if (isCampaignDir(reportsDir)) return writeCampaignIndex(reportsDir);
  const runs = existsSync(reportsDir)
    ? readdirSync(reportsDir)
        .map((name) => join(reportsDir, name))
        .filter((p) => statSync(p).isDirectory() && existsSync(join(p, 'history.jsonl')))
        .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
    : [];
  const rows = runs
    .map((dir) => {
      const meta = readJson(join(dir, 'run.json')) ?? {};
      const results = readJson(join(dir, 'results.json'));
      const name = basename(dir);
      const link = relativeHref(name, existsSync(join(dir, 'index.html')) ? 'index.html' : 'history.jsonl');
      return `<tr><td><a href="${esc(link)}">${esc(name)}</a></td><td>${esc(meta.target ?? '')}</td><td>${esc(
        meta.workload ?? '',
      )}</td><td>${esc(meta.startedAt ?? meta.start ?? '')}</td><td>${verdictBadge((results?.valid as boolean) ?? 'unknown')}</td></tr>`;
    })
    .join('');
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>faultline runs</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem}td,th{padding:.2rem .8rem;text-align:left}
.badge{padding:.1rem .5rem;border-radius:.6rem;color:#fff}.ok{background:#2e7d32}.bad{background:#c62828}.unknown{background:#b26a00}</style>
</head><body><h1>faultline runs</h1>${campaignSections(reportsDir)}
<table><tr><th>run</th><th>target</th><th>workload</th><th>started</th><th>verdict</th></tr>${rows}</table>
${runs.length === 0 ? '<p>No runs yet.</p>' : ''}</body></html>\n`;
  const out = join(reportsDir, 'index.html');
  writeFileSync(out, html);
  return out;
}
