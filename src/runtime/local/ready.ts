/** Waiting for a local deployment to be ready (a database that exits meanwhile fails the start). */
import type { Deployment } from '../../targets/types.js';
import { type Cluster, nodeByName } from '../cluster.js';
import type { NodeProc } from './run.js';

export async function waitReady(
  cluster: Cluster,
  deployment: Deployment,
  procs: NodeProc[],
  timeoutMs: number,
  signal: AbortSignal | undefined,
  stopped: () => boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(procs.map((p) => p.spec.name));
  const clusterReady = () =>
    deployment.clusterReady?.(cluster.nodes).catch(() => false) ?? Promise.resolve(true);
  while (pending.size > 0 || !(await clusterReady())) {
    if (stopped()) throw new Error('cluster stopped while starting');
    if (signal?.aborted) throw new Error('start aborted');
    const dead = procs.find((p) => pending.has(p.spec.name) && !p.db);
    if (dead) throw new Error(`node ${dead.spec.name}'s database exited while starting`);
    if (Date.now() > deadline) {
      const which =
        pending.size > 0 ? `nodes not ready: ${[...pending].join(', ')}` : 'cluster-level check failed';
      throw new Error(`cluster not ready after ${timeoutMs} ms (${which})`);
    }
    await Promise.all(
      [...pending].map(async (name) => {
        const ok = await deployment.ready(nodeByName(cluster, name)).catch(() => false);
        if (ok) pending.delete(name);
      }),
    );
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 50));
  }
}
