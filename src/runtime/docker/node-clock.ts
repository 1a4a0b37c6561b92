/** Clock faults on a Docker node: its libfaketime offset file, set once or strobed. */
import type { ClockSpec } from '../cluster.js';
import { writeClockFile } from './faults.js';
import type { DockerRun, NodeState } from './run.js';

export function stopStrobe(s: NodeState): void {
  clearTimeout(s.strobe);
  clearTimeout(s.strobeEnd);
  s.strobe = undefined;
  s.strobeEnd = undefined;
}

export function setClock(run: DockerRun, s: NodeState, offset: string): void {
  if (!s.clockDir) return;
  try {
    writeClockFile(s.clockDir, offset);
  } catch (e) {
    // Once stopped the files are gone, and a strobe's last tick has nothing to set.
    if (!run.stopped) throw e;
  }
}

const fmt = (sec: number) => (sec >= 0 ? `+${sec}` : `${sec}`);

/** Sets the node's clock as `spec` says (a strobe flips it until its duration is over). */
export function clockFault(run: DockerRun, s: NodeState, spec: ClockSpec): void {
  stopStrobe(s);
  if (spec.kind === 'reset') setClock(run, s, '+0');
  else if (spec.kind === 'offset') setClock(run, s, fmt(spec.seconds));
  else strobe(run, s, spec);
}

function strobe(run: DockerRun, s: NodeState, spec: Extract<ClockSpec, { kind: 'strobe' }>): void {
  let on = false;
  const flip = () => {
    if (run.stopped) return;
    on = !on;
    try {
      setClock(run, s, on ? fmt(spec.seconds) : '+0');
    } catch {
      // A timer has no caller to tell; the next tick or healAll tries again.
    }
    s.strobe = setTimeout(flip, spec.periodMs);
  };
  flip();
  s.strobeEnd = setTimeout(() => {
    stopStrobe(s);
    try {
      setClock(run, s, '+0');
    } catch {
      // As above: healAll resets the clock again.
    }
  }, spec.durationMs);
}
