/**
 * How Redis runs on a node: redis-server's command line (AOF with fsync every second, what a
 * restarted node keeps after a kill) and, with Sentinel, the sentinel beside it.
 */
import type { NodeSlot } from '../../runtime/runtime.js';

export const SENTINEL_MASTER = 'faultline';

export function serverCommand(binary: string, slot: NodeSlot, primary?: NodeSlot): string[] {
  return [
    binary,
    '--bind',
    slot.host,
    '--port',
    String(slot.ports.client),
    '--protected-mode',
    'no',
    '--dir',
    slot.dataDir,
    '--save',
    '',
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    // Replicas sync at once (the default waits 5 s for more replicas to share a diskless sync).
    '--repl-diskless-sync-delay',
    '0',
    ...(primary ? ['--replicaof', primary.host, String(primary.ports.client)] : []),
  ];
}

export interface SentinelSettings {
  binary: string;
  quorum: number;
  downAfterMs: number;
}

/** The shell line that writes sentinel.conf once and runs the sentinel. */
export function sentinelSidecar(
  slot: NodeSlot,
  primary: NodeSlot,
  replicas: readonly NodeSlot[],
  s: SentinelSettings,
): string {
  const conf = [
    `port ${slot.ports.sentinel}`,
    `bind ${slot.host}`,
    'protected-mode no',
    `dir ${slot.dataDir}`,
    `sentinel monitor ${SENTINEL_MASTER} ${primary.host} ${primary.ports.client} ${s.quorum}`,
    `sentinel down-after-milliseconds ${SENTINEL_MASTER} ${s.downAfterMs}`,
    `sentinel failover-timeout ${SENTINEL_MASTER} 10000`,
    `sentinel parallel-syncs ${SENTINEL_MASTER} 1`,
    // Known from the start: otherwise a sentinel learns replicas from the primary's INFO,
    // every 10 s, and a primary lost before that cannot be failed over.
    ...replicas.map((r) => `sentinel known-replica ${SENTINEL_MASTER} ${r.host} ${r.ports.client}`),
  ].join('\\n');
  const file = `${slot.dataDir}/sentinel.conf`;
  // Written once: sentinel rewrites its own file as it learns the topology.
  return `[ -e ${file} ] || printf '${conf}\\n' > ${file}; exec ${s.binary} ${file}`;
}
