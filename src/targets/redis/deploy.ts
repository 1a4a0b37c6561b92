/**
 * How Redis runs on a node: redis-server's command line (AOF with fsync every second, what a
 * restarted node keeps after a kill) and, with Sentinel, the sentinel beside it.
 */
import { type NodeSlot, peerAddress } from '../../runtime/runtime.js';

export const SENTINEL_MASTER = 'faultline';

/**
 * A replica dials its primary itself, so it reaches it at its own route where the runtime
 * routes per pair (`peerAddress`): a partition between the two is then exact.
 */
export function serverCommand(
  binary: string,
  slot: NodeSlot,
  primary?: NodeSlot,
  // Sentinel learns replicas at the address the primary sees them connect from: direct, then.
  direct = false,
): string[] {
  const upstream = !primary
    ? ''
    : direct
      ? `${primary.host}:${primary.ports.client}`
      : peerAddress(slot, primary, 'client');
  const colon = upstream.lastIndexOf(':');
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
    ...(primary ? ['--replicaof', upstream.slice(0, colon), upstream.slice(colon + 1)] : []),
    ...loopbackSource(slot),
  ];
}

/**
 * On loopback (the local runtime: each node its own 127.0.0.x) the kernel dials from
 * 127.0.0.1, so a primary and the sentinels would see every replica and sentinel there:
 * outgoing connections start from the node's own address instead (Redis 7's bind-source-addr).
 */
const loopbackSource = (slot: NodeSlot): string[] =>
  /^127\./.test(slot.host) ? ['--bind-source-addr', slot.host] : [];

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
    ...loopbackSource(slot)
      .slice(1)
      .map((a) => `bind-source-addr ${a}`),
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
