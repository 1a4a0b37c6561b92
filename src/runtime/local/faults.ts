/** Which faults work on one local deployment: the machine's, the target's, then what the proxy can make exact. */
import type { Deployment } from '../../targets/types.js';
import type { FaultKind } from '../cluster.js';
import { type FaultTable, probeLocal } from './probe.js';

/** Peer traffic through the proxy: routed per pair (or through identified shared routes). */
export interface PeerRouting {
  routed: boolean;
  identified: boolean;
}

/** Marks a fault unsupported (the first reason stands). */
export function noFault(faults: FaultTable, f: FaultKind, reason: string): void {
  if (faults[f].supported) faults[f] = { supported: false, reason };
}

export async function localFaults(
  deployment: Deployment,
  peers: PeerRouting,
  t: { shim?: string },
): Promise<FaultTable> {
  const faults = (await probeLocal()).faults as FaultTable;
  const no = (f: FaultKind, reason: string) => noFault(faults, f, reason);
  if (faults.clock.supported && !deployment.nodes.some((n) => n.fakeClock))
    no('clock', 'the target does not run its database under libfaketime (no node asks for fakeClock)');
  if (!t.shim && deployment.nodes.some((n) => n.fakeClock && n.jemallocShim))
    no(
      'clock',
      "the database links jemalloc, which hangs under libfaketime, and faultline's stand-in is not built (scripts/setup-docker.sh builds it; it needs gcc)",
    );
  for (const [f, reason] of Object.entries(deployment.unsupported ?? {})) no(f as FaultKind, reason);
  if (!peers.routed)
    no(
      'partition',
      "this target's nodes reach each other at the one address each advertises (where it also listens), not through per-pair routes (peerAddress): the local runtime's proxy sits only in front of client traffic, so no partition of node-to-node traffic can be made exact on it (use --runtime docker)",
    );
  return faults;
}

/** How exact partitions are, for the run's info (undefined: they are not). */
export function partitionNote(deployment: Deployment, peers: PeerRouting): string | undefined {
  if (!peers.routed) return undefined;
  if (peers.identified)
    return "exact for every grudge on the traffic whose sender the target's identify hook names: every node dials a peer's advertised port through one proxy route, which names each connection's sender from what it sends and cuts it per pair; a connection that never names its sender is never cut";
  return deployment.dials
    ? 'exact for every grudge: each node reaches each node it dials through its own proxy route, and the other pairs exchange nothing'
    : 'exact for every grudge: each node reaches each other node through its own proxy route';
}
