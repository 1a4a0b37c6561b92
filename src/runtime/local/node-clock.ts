/** Clock faults on a local node: its libfaketime offset file, set once or strobed. */
import { writeFileSync } from 'node:fs';
import type { ClockSpec } from '../cluster.js';
import { fakeClock } from './node-process.js';
import type { LocalRun, NodeProc } from './run.js';

export const writeClock = (p: NodeProc, offset: string): void => writeFileSync(p.clockFile, `${offset}\n`);

export function stopStrobe(p: NodeProc): void {
  clearTimeout(p.strobe);
  clearTimeout(p.strobeEnd);
  p.strobe = undefined;
  p.strobeEnd = undefined;
}

export function resetClock(run: LocalRun, p: NodeProc): void {
  stopStrobe(p);
  if (fakeClock(run, p.spec)) writeClock(p, '+0');
  p.skewed = false;
}

const fmt = (sec: number) => (sec >= 0 ? `+${sec}` : `${sec}`);

/** Sets the node's clock as `spec` says (a strobe flips it until its duration is over). */
export function clockFault(run: LocalRun, p: NodeProc, spec: ClockSpec): void {
  stopStrobe(p);
  if (spec.kind === 'reset') {
    writeClock(p, '+0');
    p.skewed = false;
  } else if (spec.kind === 'offset') {
    writeClock(p, fmt(spec.seconds));
    p.skewed = spec.seconds !== 0;
  } else strobe(run, p, spec);
}

function strobe(run: LocalRun, p: NodeProc, spec: Extract<ClockSpec, { kind: 'strobe' }>): void {
  let on = false;
  const flip = () => {
    if (run.stopped) return;
    on = !on;
    writeClock(p, on ? fmt(spec.seconds) : '+0');
    p.strobe = setTimeout(flip, spec.periodMs);
  };
  p.skewed = true;
  flip();
  p.strobeEnd = setTimeout(() => {
    stopStrobe(p);
    if (!run.stopped) writeClock(p, '+0');
    p.skewed = false;
  }, spec.durationMs);
}
