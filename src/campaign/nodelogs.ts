/**
 * The node-log checker (Jepsen's log-file-pattern): a database that panicked, failed an
 * assertion or tripped the race detector has a bug even when the history looks fine. It reads
 * <run>/nodes/*.log line by line for regular expressions: the generic ones below, the target's
 * own (`Target.logPatterns`), and the user's (a campaign's `logPatterns`). A match makes the
 * run invalid, with each matching line (file:line) as evidence.
 */
import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { CheckResult } from '../checker/types.js';

/** Flagged in every target's logs: Go, the race detector, sanitizers, V8 and Node's crash trailer. */
export const GENERIC_LOG_PATTERNS = [
  '^panic: ',
  '^fatal error: ',
  'WARNING: DATA RACE',
  'ERROR: AddressSanitizer',
  '^FATAL ERROR: ',
  // What Node prints last when an uncaught exception ends the process.
  '^Node\\.js v\\d+\\.\\d+\\.\\d+$',
] as const;

export interface LogMatch {
  file: string;
  line: number;
  text: string;
  pattern: string;
}

/** At most this many matching lines are kept as evidence (all are counted). */
const KEEP = 20;

export function logPatternsFor(targetPatterns: readonly string[] | undefined, extra: readonly string[] = []) {
  return [...new Set([...GENERIC_LOG_PATTERNS, ...(targetPatterns ?? []), ...extra])];
}

export async function checkNodeLogs(runDir: string, patterns: readonly string[]): Promise<CheckResult> {
  const dir = join(runDir, 'nodes');
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.log'))
        .sort()
    : [];
  const regexps = patterns.map((p) => ({ p, re: new RegExp(p) }));
  const matches: LogMatch[] = [];
  let count = 0;
  for (const file of files) {
    const lines = createInterface({
      input: createReadStream(join(dir, file)),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    let n = 0;
    for await (const text of lines) {
      n++;
      const hit = regexps.find(({ re }) => re.test(text));
      if (!hit) continue;
      count++;
      if (matches.length < KEEP)
        matches.push({ file: `nodes/${file}`, line: n, text: text.slice(0, 300), pattern: hit.p });
    }
  }
  const first = matches[0];
  return {
    valid: count === 0,
    checker: 'node-logs',
    summary:
      count === 0
        ? `${files.length} node log${files.length === 1 ? '' : 's'}: no panic, fatal error or data race`
        : `${first!.file}:${first!.line}: ${first!.text.trim()}${count > 1 ? ` (and ${count - 1} more matching line${count > 2 ? 's' : ''})` : ''}`,
    files: files.length,
    patterns: [...patterns],
    matches,
    count,
  };
}
