/**
 * A campaign's progress for people. On a terminal (log-update redraws the block in place):
 * the overall line (cells done / total, ETA from the cells finished so far), one live line per
 * running cell (phase, ops/s, ok/fail/info, the last fault), and above them one result line per
 * finished cell. Anywhere else (CI logs): plain lines only, no control codes: a line when a
 * cell starts, its result line, and the overall state every 15 s.
 */
import { createLogUpdate } from 'log-update';
import type { Progress } from '../runner/run.js';
import type { Cell } from './matrix.js';
import type { CellOutcome } from './outcome.js';

/** Printable on one line: control characters (escape sequences included) become '?'. */
const printable = (s: string) => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');

const VERDICT: Record<string, string> = {
  valid: 'valid',
  invalid: 'INVALID',
  unknown: 'unknown',
  error: 'ERROR',
  interrupted: 'interrupted',
  'not-run': 'not run',
};

export const formatDuration = (s: number) => {
  const r = Math.max(0, Math.round(s));
  return r >= 3600
    ? `${Math.floor(r / 3600)}h${String(Math.floor((r % 3600) / 60)).padStart(2, '0')}m`
    : r >= 60
      ? `${Math.floor(r / 60)}m${String(r % 60).padStart(2, '0')}s`
      : `${r}s`;
};

export function resultLine(o: CellOutcome, done: number, total: number): string {
  const retry = o.attempts > 1 ? ` after ${o.attempts} attempts` : '';
  const time = o.durationS !== undefined ? ` (${o.durationS} s${retry})` : '';
  const line = `[${done}/${total}] ${o.id}: ${VERDICT[o.status] ?? o.status}${time} — ${o.summary}`;
  return printable(line.length > 240 ? `${line.slice(0, 239)}…` : line);
}

interface Running {
  cell: Cell;
  since: number;
  progress?: Progress;
  fault?: string;
}

export function campaignProgress(
  out: NodeJS.WriteStream,
  o: { total: number; parallel: number; name: string },
) {
  // A terminal of no size (a pty nobody sized) shows plain lines: log-update would draw nothing.
  const tty = out.isTTY === true && !process.env.CI && (out.columns ?? 0) > 0 && (out.rows ?? 0) > 0;
  const log = tty ? createLogUpdate(out) : undefined;
  const running = new Map<string, Running>();
  const durations: number[] = [];
  const tally: Record<string, number> = {};
  let done = 0;
  let lastPlain = performance.now();

  const eta = (): string => {
    if (durations.length === 0) return 'ETA after the first cell';
    const mean = durations.reduce((a, b) => a + b, 0) / durations.length;
    const queued = Math.max(0, o.total - done - running.size);
    const now = performance.now();
    let work = queued * mean;
    for (const r of running.values()) work += Math.max(0, mean - (now - r.since) / 1000);
    return `ETA ${formatDuration(work / Math.max(1, Math.min(o.parallel, o.total - done)))}`;
  };
  const overall = () => {
    const counts = Object.entries(tally)
      .map(([k, n]) => `${n} ${VERDICT[k] ?? k}`)
      .join(', ');
    return `campaign ${o.name}: ${done}/${o.total} cells done${counts ? ` (${counts})` : ''}, ${running.size} running, ${eta()}`;
  };
  const live = (r: Running) => {
    const p = r.progress;
    const elapsed = formatDuration((performance.now() - r.since) / 1000);
    const stats = p
      ? `[${p.phase}] ${elapsed}  ${p.opsPerS.toFixed(0)} ops/s  ok ${p.counts.ok}  fail ${p.counts.fail}  info ${p.counts.info}`
      : `[starting] ${elapsed}`;
    return printable(`  ${r.cell.id}  ${stats}${r.fault ? `  ${r.fault}` : ''}`.slice(0, 200));
  };
  const render = () => log?.([overall(), ...[...running.values()].map(live)].join('\n'));
  const timer = setInterval(() => {
    if (tty) render();
    else if (running.size > 0 && performance.now() - lastPlain > 15_000) {
      lastPlain = performance.now();
      out.write(`${printable(overall())}\n`);
      for (const r of running.values()) out.write(`${live(r)}\n`);
    }
  }, 500);
  timer.unref();

  /** A line above the live block (or plain). */
  const line = (text: string) => {
    if (log) {
      log.clear();
      out.write(`${printable(text)}\n`);
      render();
    } else out.write(`${printable(text)}\n`);
  };

  return {
    start(cell: Cell, attempt: number) {
      running.set(cell.id, { cell, since: performance.now() });
      if (!tty) out.write(`start ${cell.id}${attempt > 1 ? ` (attempt ${attempt})` : ''}\n`);
      else render();
    },
    progress(cell: Cell, p: Progress) {
      const r = running.get(cell.id);
      if (r) r.progress = p;
    },
    event(cell: Cell, message: string) {
      const r = running.get(cell.id);
      if (r && message.startsWith('nemesis: ')) r.fault = message.slice(9, 80);
      if (/retrying$/.test(message)) line(`${cell.id}: ${message}`);
    },
    end(outcome: CellOutcome, doneCount: number) {
      const r = running.get(outcome.id);
      running.delete(outcome.id);
      done = doneCount;
      tally[outcome.status] = (tally[outcome.status] ?? 0) + 1;
      if (r && outcome.durationS !== undefined) durations.push(outcome.durationS);
      line(resultLine(outcome, doneCount, o.total));
    },
    /** Cells found finished by --resume. */
    resumed(count: number) {
      done = count;
      if (count > 0) line(`resume: ${count} cell${count === 1 ? '' : 's'} already finished, skipped`);
    },
    message: line,
    stop() {
      clearInterval(timer);
      if (log) {
        log.clear();
        log.done();
      }
    },
  };
}
