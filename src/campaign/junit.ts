/**
 * JUnit XML for CI test reporters, one testcase per cell: an invalid cell is a <failure> with
 * the anomaly's one-line summary, harness trouble an <error>, an unknown (or interrupted, or
 * unstarted) cell <skipped>. Built with xmlbuilder2, so every name and message is escaped.
 */
import { writeFileSync } from 'node:fs';
import { create } from 'xmlbuilder2';
import type { CampaignSummary } from './execute.js';
import type { CellOutcome } from './outcome.js';

export function junitCounts(cells: readonly CellOutcome[]) {
  return {
    tests: cells.length,
    failures: cells.filter((c) => c.status === 'invalid').length,
    errors: cells.filter((c) => c.status === 'error').length,
    skipped: cells.filter(
      (c) => c.status === 'unknown' || c.status === 'interrupted' || c.status === 'not-run',
    ).length,
  };
}

/** XML 1.0 admits no control characters but tab, newline and carriage return. */
const clean = (s: string) => s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '?');

export function junitXml(s: CampaignSummary): string {
  const counts = junitCounts(s.cells);
  const time = s.durationS.toFixed(1);
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('testsuites', {
    name: `faultline ${s.campaign}`,
    ...counts,
    time,
  });
  const suite = root.ele('testsuite', {
    name: s.campaign + (s.shard ? ` (shard ${s.shard.index}/${s.shard.count})` : ''),
    ...counts,
    time,
    timestamp: s.start.replace(/\.\d+Z$/, ''),
  });
  for (const c of s.cells) {
    const tc = suite.ele('testcase', {
      name: c.id,
      classname: `faultline.${s.campaign}.${c.labels.target}`,
      time: (c.durationS ?? 0).toFixed(1),
    });
    const message = clean(c.summary);
    const details = clean(
      `${c.summary}\nreport: ${c.dir}/index.html\nlabels: ${JSON.stringify(c.labels)}${c.attempts > 1 ? `\nattempts: ${c.attempts}` : ''}`,
    );
    if (c.status === 'invalid') tc.ele('failure', { message, type: 'invalid' }).txt(details);
    else if (c.status === 'error') tc.ele('error', { message, type: c.trouble ?? 'harness' }).txt(details);
    else if (c.status !== 'valid') tc.ele('skipped', { message: `${c.status}: ${message}` });
    tc.ele('properties')
      .ele('property', { name: 'report', value: `${c.dir}/index.html` })
      .up()
      .ele('property', { name: 'status', value: c.status });
  }
  return root.end({ prettyPrint: true });
}

export function writeJunit(s: CampaignSummary, path: string): void {
  writeFileSync(path, `${junitXml(s)}\n`);
}
