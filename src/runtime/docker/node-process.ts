/**
 * Process faults on a Docker node: kill and start (by the supervisor in faultline-base, by the
 * container in a user's image), pause and resume (escalating to the cgroup when the engine
 * does not answer).
 */
import { setFrozen } from './cgroup.js';
import { bounded, SHORT_TIMEOUT_MS, statusOf } from './engine.js';
import { execIn, sh } from './exec.js';
import { attachLogs, initPid } from './node-logs.js';
import { applyNet } from './node-net.js';
import type { DockerRun, NodeState } from './run.js';

export const ignore =
  (...codes: number[]) =>
  (e: unknown) => {
    if (!codes.includes(statusOf(e) ?? -1)) throw e;
  };

/** Runs a supervisor script in the node; its output, or an error naming the node. */
export async function nodeShell(s: NodeState, script: string, what: string): Promise<string> {
  const r = await execIn(s.container, sh(script));
  if (r.code !== 0) throw new Error(`${what} on ${s.node.name} failed (exit ${r.code}): ${r.output.trim()}`);
  return r.output;
}

export async function pauseNode(s: NodeState): Promise<void> {
  if (s.paused) return;
  for (let attempt = 1; ; attempt++) {
    try {
      await bounded(`pause ${s.node.name}`, (abortSignal) => s.container.pause({ abortSignal }));
      break;
    } catch (e) {
      // The engine still counts it paused from a thaw it did not see: freeze the cgroup.
      if (statusOf(e) === 409 && setFrozen(s.container.id, s.pid, true)) break;
      // runc gives up freezing a cgroup whose processes are busy forking; it passes a moment later.
      if (attempt >= 3 || !/unable to freeze/.test(String((e as Error).message))) throw e;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
  s.paused = true;
}

export async function resumeNode(s: NodeState): Promise<void> {
  const { container } = s;
  const unpause = () =>
    bounded(`unpause ${s.node.name}`, (abortSignal) => container.unpause({ abortSignal }), SHORT_TIMEOUT_MS);
  try {
    await unpause();
  } catch (e) {
    // The engine did not unpause: it blocks behind an exec frozen mid-setup. Thaw the cgroup
    // directly; the exec finishes and the engine answers again.
    if (!setFrozen(container.id, s.pid, false)) {
      throw new Error(
        `could not resume ${s.node.name}: ${(e as Error).message}, and its cgroup is not writable here`,
      );
    }
    // The engine still counts the node paused (and refuses exec into it): freeze it again
    // for a moment and let the engine unpause it, so its state is the node's again.
    const info = await bounded(
      'inspect',
      (abortSignal) => container.inspect({ abortSignal }),
      SHORT_TIMEOUT_MS,
    ).catch(() => undefined);
    if (info?.State.Paused && setFrozen(container.id, s.pid, true)) {
      await unpause().catch(() => setFrozen(container.id, s.pid, false));
    }
  }
  s.paused = false;
}

/** A user's image: the container itself is killed (its data stays in the volume). */
export async function killUserNode(s: NodeState): Promise<void> {
  await bounded(`kill ${s.node.name}`, (abortSignal) =>
    s.container.kill({ signal: 'SIGKILL', abortSignal }),
  ).catch(ignore(304, 409));
}

/** A user's image: the container started again, its logs followed, its network faults set again. */
export async function restartUserNode(run: DockerRun, s: NodeState): Promise<void> {
  const since = (Date.now() / 1000).toFixed(3);
  await bounded(`start ${s.node.name}`, (abortSignal) => s.container.start({ abortSignal })).catch(
    ignore(304),
  );
  s.pid = await initPid(s.container);
  run.teardown.known.set(s.container.id, s.pid);
  await attachLogs(s, run.place.logDir, since);
  if (s.sidecar) {
    // The node has a new network namespace: the sidecar rejoins it, the faults are set again.
    const sidecar = s.sidecar;
    await bounded(`restart ${s.node.name}'s sidecar`, (abortSignal) =>
      sidecar.restart({ t: 0, abortSignal }),
    );
    await applyNet(run, s);
  }
}
