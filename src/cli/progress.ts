/**
 * The run's progress for people: on a terminal one line rewritten in place; otherwise (CI
 * logs) a plain line at every change of phase and every 5 s within one, no control codes.
 */
import type { Progress } from '../runner/run.js';

export function progressLine(p: Progress): string {
  const { ok, fail, info } = p.counts;
  return `[${p.phase}] ${p.elapsedS.toFixed(0)} s  ${p.opsPerS.toFixed(0)} ops/s  ok ${ok}  fail ${fail}  info ${info}`;
}

export function progressPrinter(out: NodeJS.WriteStream) {
  const tty = out.isTTY === true;
  let lastPrinted = 0;
  let lastPhase = '';
  return {
    event(message: string) {
      out.write(`${tty ? '\r\x1b[K' : ''}faultline: ${message}\n`);
    },
    update(p: Progress) {
      if (tty) {
        out.write(`\r\x1b[K${progressLine(p)}`);
        return;
      }
      const now = performance.now();
      if (now - lastPrinted > 5000 || p.phase !== lastPhase) {
        out.write(`${progressLine(p)}\n`);
        lastPrinted = now;
        lastPhase = p.phase;
      }
    },
    end() {
      if (tty) out.write('\n');
    },
  };
}
