/** Which faults work on one Docker deployment: the runtime's probe ∩ the deployment ∩ the nodes. */
import type { Deployment } from '../../targets/types.js';
import type { FaultKind } from '../cluster.js';
import { type FaultTable, probeNetem } from './faults.js';
import { fakeClockOnImage } from './libc.js';
import type { RunPlace } from './run.js';

/** What faults work on this deployment here: probe ∩ deployment ∩ node abilities. */
export async function faultTable(place: RunPlace, deployment: Deployment): Promise<FaultTable> {
  const faults = { ...place.probe.faults } as FaultTable;
  const no = (f: FaultKind, reason: string) => {
    if (faults[f].supported) faults[f] = { supported: false, reason };
  };
  for (const [f, reason] of Object.entries(deployment.unsupported ?? {}))
    if (reason) no(f as FaultKind, reason);
  const faked = deployment.nodes.filter((n) => n.fakeClock);
  if (faked.length === 0)
    no('clock', 'no node of this deployment runs under libfaketime (the target did not ask for it)');
  const shimmed = faked.find((n) => n.jemallocShim);
  if (place.supervised) {
    if (shimmed && !place.tools.shim) {
      no(
        'clock',
        `node ${shimmed.name}'s program links jemalloc, which hangs under libfaketime, and faultline's stand-in is not built (run scripts/setup-docker.sh; it needs gcc)`,
      );
    }
  } else if (faults.clock.supported) {
    if (shimmed) {
      no(
        'clock',
        `node ${shimmed.name}'s program links jemalloc, which hangs under libfaketime; on image ${place.image} faultline cannot put its stand-in in jemalloc's place (official Redis images link jemalloc statically)`,
      );
    } else {
      const reason = await fakeClockOnImage(place.image);
      if (reason) no('clock', reason);
    }
  }
  if (faults.latency.supported && !place.faults?.includes('latency') && !(await probeNetem()).supported) {
    no(
      'latency',
      "this kernel has no netem, and faultline's proxy that stands in for it must be in front of the nodes before anyone connects: only a run that asks for latency up front gets it",
    );
  }
  return faults;
}
