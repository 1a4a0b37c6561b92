/**
 * A Docker run's network faults: each node's drops and packet faults applied in its sidecar,
 * and, where the kernel has no netem, every node's delay told to each node's latency proxy.
 */
import { inputRules, inSidecar, qdiscRule } from './faults.js';
import { proxyDelayScript } from './netns-proxy.js';
import type { DockerRun, NodeState } from './run.js';

/** Runs `fn` on every node, past failures; throws one error naming each failure. */
export async function everyNode(
  run: DockerRun,
  what: string,
  fn: (s: NodeState) => Promise<void>,
): Promise<void> {
  const results = await Promise.allSettled([...run.states.values()].map(fn));
  const failed = results.flatMap((r, i) =>
    r.status === 'rejected'
      ? [`${[...run.states.values()][i]!.node.name}: ${(r.reason as Error).message}`]
      : [],
  );
  if (failed.length > 0) throw new Error(`${what} failed on ${failed.length} node(s): ${failed.join('; ')}`);
}

/** Every node's delay, for one node's latency proxy (which delays each node's sending). */
function proxyDelays(run: DockerRun, s: NodeState): string {
  const nets = Object.fromEntries([...run.states.values()].map((t) => [t.node.name, t.net]));
  return proxyDelayScript(nets, ++s.proxyGen);
}

/** The node's current network faults, applied again in its sidecar. */
export async function applyNet(run: DockerRun, s: NodeState, timeoutMs?: number): Promise<void> {
  if (!s.sidecar) return;
  const script = [inputRules(s.drops, s.net, run.proxied)];
  if (run.faults.latency.supported) script.push(run.proxied ? proxyDelays(run, s) : qdiscRule(s.net));
  await inSidecar(s.sidecar, script.join(' && '), `network faults on ${s.node.name}`, timeoutMs);
}

/** The delays set again in every node's latency proxy (a node's delay acts in its peers' too). */
export function applyDelays(run: DockerRun, timeoutMs?: number): Promise<void> {
  return everyNode(run, 'latency', async (s) => {
    if (s.sidecar) await inSidecar(s.sidecar, proxyDelays(run, s), `latency on ${s.node.name}`, timeoutMs);
  });
}
