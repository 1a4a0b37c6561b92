/**
 * Redis's primaries now: with Sentinel, the master most sentinels name; otherwise (and when
 * the sentinels do not answer) every node whose INFO replication says role:master.
 */
import { sortNodes } from '../../nemesis/nodes.js';
import type { Cluster } from '../../runtime/cluster.js';
import { redisCall } from './call.js';
import { SENTINEL_MASTER } from './deploy.js';

async function sentinelsMaster(
  cluster: Pick<Cluster, 'nodes'>,
  timeoutMs: number,
): Promise<string | undefined> {
  const answers = await Promise.all(
    cluster.nodes.map((node) =>
      redisCall(
        node.host,
        node.ports.sentinel!,
        ['SENTINEL', 'get-master-addr-by-name', SENTINEL_MASTER],
        timeoutMs,
      ).catch(() => null),
    ),
  );
  const votes = new Map<string, number>();
  for (const a of answers) {
    const host = Array.isArray(a) ? String(a[0]) : undefined;
    if (host) votes.set(host, (votes.get(host) ?? 0) + 1);
  }
  const host = [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  return cluster.nodes.find((n) => n.host === host)?.name;
}

export async function redisPrimaries(
  cluster: Pick<Cluster, 'nodes'>,
  topology: string,
  timeoutMs = 1000,
): Promise<string[]> {
  if (topology === 'sentinel') {
    const master = await sentinelsMaster(cluster, timeoutMs);
    if (master) return [master];
  }
  const roles = await Promise.all(
    cluster.nodes.map(async (node) => {
      const info = await redisCall(node.host, node.ports.client!, ['INFO', 'replication'], timeoutMs).catch(
        () => '',
      );
      return String(info).includes('role:master') ? node.name : undefined;
    }),
  );
  return sortNodes(roles.filter((n) => n !== undefined));
}
