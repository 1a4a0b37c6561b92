/** Waiting for a Docker deployment to be ready, and reading its database's version. */
import type { Deployment } from '../../targets/types.js';
import { type Cluster, type ClusterNode, nodeByName } from '../cluster.js';

/** The database's version per the deployment: one value, or one per node when they differ. */
export async function nodeVersions(
  nodes: readonly ClusterNode[],
  deployment: Deployment,
): Promise<Record<string, string> | undefined> {
  const { version } = deployment;
  if (!version) return undefined;
  const read = (n: ClusterNode) =>
    Promise.race([
      version(n).catch(() => 'unknown'),
      new Promise<string>((r) => setTimeout(() => r('unknown'), 5000).unref()),
    ]);
  const all = await Promise.all(nodes.map(read));
  const distinct = new Set(all);
  if (distinct.size === 1) return { database: all[0]! };
  return Object.fromEntries(nodes.map((n, i) => [`database@${n.name}`, all[i]!]));
}

export async function waitReady(
  cluster: Cluster,
  deployment: Deployment,
  timeoutMs: number,
  aborted: () => boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(cluster.nodes.map((n) => n.name));
  for (;;) {
    if (aborted()) throw new Error('cluster stopped while starting');
    await Promise.all(
      [...pending].map(async (name) => {
        const ok = await deployment.ready(nodeByName(cluster, name)).catch(() => false);
        if (ok) pending.delete(name);
      }),
    );
    if (pending.size === 0 && (await (deployment.clusterReady?.(cluster.nodes).catch(() => false) ?? true)))
      return;
    if (Date.now() > deadline) {
      const which =
        pending.size > 0 ? `nodes not ready: ${[...pending].join(', ')}` : 'cluster-level check failed';
      throw new Error(`cluster not ready after ${timeoutMs} ms (${which})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
