/** etcd's leader as the members see it (maintenance status: the leader's member id). */
import { httpCall } from '../../clients/http.js';
import type { Cluster } from '../../runtime/cluster.js';

interface MemberView {
  node: string;
  member: string;
  leader: string;
}

async function memberView(
  node: Cluster['nodes'][number],
  timeoutMs: number,
): Promise<MemberView | undefined> {
  try {
    const url = `http://${node.host}:${node.ports.client}/v3/maintenance/status`;
    const r = await httpCall(undefined, 'POST', url, {}, timeoutMs);
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
}

export async function etcdLeader(cluster: Pick<Cluster, 'nodes'>, timeoutMs = 1000): Promise<string[]> {
  const views = (await Promise.all(cluster.nodes.map((n) => memberView(n, timeoutMs)))).filter(
    (v) => v !== undefined,
  );
  // Most members' view of the leader wins (a partitioned member may still name an old one).
  const votes = new Map<string, number>();
  for (const v of views)
    if (v.leader && v.leader !== '0') votes.set(v.leader, (votes.get(v.leader) ?? 0) + 1);
  const leaderId = [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  const leader = views.find((v) => v.member === leaderId);
  return leader ? [leader.node] : [];
}
