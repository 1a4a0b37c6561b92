/**
 * Who the primaries are right now, asked of the running cluster (a fault aimed at
 * "primaries" is resolved when it starts, since leaders move):
 *   etcd     the members' own view of the Raft leader (maintenance status: leader id);
 *   redis    with Sentinel, the master the sentinels name; otherwise nodes whose INFO
 *            replication says role:master;
 *   others   nodes whose role is `primary` (none for the leaderless kvstore).
 */
import { httpCall } from '../clients/http.js';
import { respCommand } from '../clients/resp.js';
import type { Cluster } from '../runtime/cluster.js';
import { sortNodes } from './nodes.js';

/** Whether a cluster has primaries a fault can aim at (the leaderless kvstore has none). */
export function targetHasPrimary(cluster: Pick<Cluster, 'target' | 'nodes'>): boolean {
  return (
    cluster.target === 'etcd' || cluster.target === 'redis' || cluster.nodes.some((n) => n.role === 'primary')
  );
}

export async function findPrimaries(cluster: Cluster, timeoutMs = 1000): Promise<string[]> {
  if (cluster.target === 'etcd') return etcdLeader(cluster, timeoutMs);
  if (cluster.target === 'redis') return redisPrimaries(cluster, timeoutMs);
  return sortNodes(cluster.nodes.filter((n) => n.role === 'primary').map((n) => n.name));
}

async function etcdLeader(cluster: Cluster, timeoutMs: number): Promise<string[]> {
  const statuses = await Promise.all(
    cluster.nodes.map(async (node) => {
      try {
        const port = node.ports.client ?? 2379;
        const r = await httpCall(
          undefined,
          'POST',
          `http://${node.host}:${port}/v3/maintenance/status`,
          {},
          timeoutMs,
        );
        if (r.status !== 200) return undefined;
        const body = JSON.parse(r.body) as { header?: { member_id?: string }; leader?: string };
        return {
          node: node.name,
          member: String(body.header?.member_id ?? ''),
          leader: String(body.leader ?? ''),
        };
      } catch {
        return undefined;
      }
    }),
  );
  const known = statuses.filter((s) => s !== undefined);
  // Most members' view of the leader wins (a partitioned member may still name an old one).
  const votes = new Map<string, number>();
  for (const s of known)
    if (s.leader && s.leader !== '0') votes.set(s.leader, (votes.get(s.leader) ?? 0) + 1);
  const leaderId = [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  const leader = known.find((s) => s.member === leaderId);
  return leader ? [leader.node] : [];
}

async function redisPrimaries(cluster: Cluster, timeoutMs: number): Promise<string[]> {
  if (cluster.topology === 'sentinel') {
    const answers = await Promise.all(
      cluster.nodes.map((node) =>
        respCommand(
          node.host,
          node.ports.sentinel ?? 26379,
          ['SENTINEL', 'get-master-addr-by-name', 'faultline'],
          timeoutMs,
        ).catch(() => ''),
      ),
    );
    const votes = new Map<string, number>();
    for (const a of answers) {
      const host = a.split('\r\n')[2];
      if (host) votes.set(host, (votes.get(host) ?? 0) + 1);
    }
    const host = [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
    const node = cluster.nodes.find((n) => n.host === host);
    if (node) return [node.name];
  }
  const roles = await Promise.all(
    cluster.nodes.map(async (node) => {
      const info = await respCommand(
        node.host,
        node.ports.client ?? 6379,
        ['INFO', 'replication'],
        timeoutMs,
      ).catch(() => '');
      return info.includes('role:master') ? node.name : undefined;
    }),
  );
  return sortNodes(roles.filter((n) => n !== undefined));
}
