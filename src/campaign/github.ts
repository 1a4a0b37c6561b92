/**
 * GitHub Actions outputs, when GITHUB_ACTIONS is set: one workflow command per invalid or
 * errored cell (an ::error annotation pointing at the campaign file, unknown ones ::warning),
 * and a Markdown table appended to $GITHUB_STEP_SUMMARY.
 */
import { appendFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { CampaignSummary } from './execute.js';

/** Workflow-command escaping (data and properties differ: properties also escape ':' and ','). */
const data = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const prop = (s: string) => data(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

export function annotations(s: CampaignSummary, file?: string): string[] {
  const lines: string[] = [];
  const where = file ? `file=${prop(file)},` : '';
  for (const c of s.cells) {
    const level =
      c.status === 'invalid' || c.status === 'error'
        ? 'error'
        : c.status === 'unknown'
          ? 'warning'
          : undefined;
    if (!level) continue;
    const title = `${c.id}: ${c.status === 'error' ? 'harness error' : c.status}`;
    lines.push(`::${level} ${where}title=${prop(title)}::${data(c.summary)}`);
  }
  return lines;
}

const ICON: Record<string, string> = {
  valid: '✅ valid',
  invalid: '❌ invalid',
  unknown: '❔ unknown',
  error: '💥 harness error',
  interrupted: '⏹ interrupted',
  'not-run': '⏭ not run',
};

const cellText = (s: string) => s.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');

export function stepSummary(s: CampaignSummary, reportsRoot?: string): string {
  const c = s.counts;
  const shard = s.shard ? ` (shard ${s.shard.index}/${s.shard.count})` : '';
  const head = [
    `### faultline campaign \`${s.campaign}\`${shard}: exit ${s.exitCode}`,
    '',
    `${c.cells} cells in ${s.durationS} s: ${c.valid} valid, ${c.invalid} invalid, ${c.unknown} unknown, ${c.error} harness errors` +
      `${c.interrupted ? `, ${c.interrupted} interrupted` : ''}${c.notRun ? `, ${c.notRun} not run (${s.stopped})` : ''}` +
      `${c.excluded ? `; ${c.excluded} excluded` : ''}`,
    '',
    '| cell | verdict | time | summary |',
    '| --- | --- | --- | --- |',
  ];
  const dir = reportsRoot ? relative(reportsRoot, s.dir) : s.campaign;
  const rows = s.cells.map(
    (x) =>
      `| \`${x.id}\` | ${ICON[x.status] ?? x.status} | ${x.durationS ?? '—'} s | ${cellText(x.summary)} |`,
  );
  return `${[...head, ...rows, '', `Reports: \`${dir}/\` (the run's artifact).`].join('\n')}\n`;
}

/** Prints the annotations on stdout and appends the summary; does nothing outside GitHub Actions. */
export function githubOutputs(
  s: CampaignSummary,
  file: string | undefined,
  out: NodeJS.WritableStream,
): void {
  if (!process.env.GITHUB_ACTIONS) return;
  for (const line of annotations(s, file)) out.write(`${line}\n`);
  const path = process.env.GITHUB_STEP_SUMMARY;
  if (path) {
    try {
      appendFileSync(path, stepSummary(s));
    } catch (e) {
      process.stderr.write(`faultline: could not write the job summary: ${(e as Error).message}\n`);
    }
  }
}
