/**
 * Removing what faultline created in Docker, bounded in time whatever state the containers are
 * in: each container is force-removed with a time limit; one that does not go is thawed
 * through its cgroup (a frozen `docker exec` blocks the engine, see cgroup.ts) and removed
 * again; one that still does not go has its processes killed from the host and is removed a
 * last time. Sidecars go before the nodes whose network namespace they share, networks and
 * volumes after the containers.
 */
import type Docker from 'dockerode';
import { killAll, setFrozen } from './cgroup.js';
import { bounded, docker, LABEL_APP, LABEL_ROLE, LABEL_RUN, SHORT_TIMEOUT_MS, statusOf } from './engine.js';

export interface Removed {
  containers: string[];
  networks: string[];
  volumes: string[];
  /** What could not be removed, with why. */
  failed: string[];
}

const nameOf = (c: Docker.ContainerInfo) => (c.Names[0] ?? c.Id).replace(/^\//, '');

/** Force-removes one container, escalating as above. Resolves when gone; throws when it stays. */
export async function removeContainer(id: string, pid?: number, timeoutMs = SHORT_TIMEOUT_MS): Promise<void> {
  const remove = () =>
    bounded(
      `remove container ${id.slice(0, 12)}`,
      (abortSignal) => docker().getContainer(id).remove({ force: true, v: true, abortSignal }),
      timeoutMs,
    ).then(
      () => true,
      (e) => {
        if (statusOf(e) === 404) return true;
        // "removal already in progress": the earlier request goes on.
        if (statusOf(e) === 409 && /in progress/i.test(String((e as Error).message))) return false;
        return false;
      },
    );
  const gone = async () =>
    bounded('inspect', (abortSignal) => docker().getContainer(id).inspect({ abortSignal }), timeoutMs).then(
      () => false,
      (e) => statusOf(e) === 404,
    );
  // Thawed first: a container frozen with an exec half set up blocks even a forced remove,
  // and thawing one that is not frozen changes nothing (the engine kills a paused one).
  setFrozen(id, pid, false);
  if (await remove()) return;
  // Stuck all the same: thaw again (the engine may have frozen it meanwhile), then kill.
  setFrozen(id, pid, false);
  if ((await remove()) || (await gone())) return;
  killAll(id, pid);
  if ((await remove()) || (await gone())) return;
  throw new Error(`container ${id.slice(0, 12)} could not be removed (the engine does not answer for it)`);
}

async function list<T>(what: string, call: (abortSignal: AbortSignal) => Promise<T[]>): Promise<T[]> {
  return bounded(what, call, SHORT_TIMEOUT_MS);
}

/**
 * Removes every container, network and volume labelled with this run (or every faultline one
 * when `runId` is absent). `known` adds containers the caller knows of (id → init pid), so
 * they are removed even when listing fails. Never throws: what stays is in `failed`.
 */
export async function removeLabelled(
  runId?: string,
  known: ReadonlyMap<string, number | undefined> = new Map(),
): Promise<Removed> {
  const label = runId ? `${LABEL_RUN}=${runId}` : LABEL_APP;
  const filters = { label: [label] };
  const out: Removed = { containers: [], networks: [], volumes: [], failed: [] };

  let containers: Docker.ContainerInfo[] = [];
  try {
    containers = await list('list containers', (abortSignal) =>
      docker().listContainers({ all: true, filters, abortSignal }),
    );
  } catch (e) {
    out.failed.push(`listing containers: ${(e as Error).message}`);
  }
  const byId = new Map(containers.map((c) => [c.Id, c]));
  const ids = new Set([...byId.keys(), ...known.keys()]);
  const isSidecar = (id: string) => byId.get(id)?.Labels?.[LABEL_ROLE] === 'net';
  for (const phase of [true, false]) {
    await Promise.all(
      [...ids]
        .filter((id) => isSidecar(id) === phase)
        .map(async (id) => {
          const info = byId.get(id);
          try {
            await removeContainer(id, known.get(id));
            if (info) out.containers.push(nameOf(info));
          } catch (e) {
            out.failed.push(`${info ? nameOf(info) : id.slice(0, 12)}: ${(e as Error).message}`);
          }
        }),
    );
  }

  try {
    const networks = await list('list networks', (abortSignal) =>
      docker().listNetworks({ filters, abortSignal }),
    );
    await Promise.all(
      networks.map(async (n) => {
        for (let attempt = 0; attempt < 3; attempt++) {
          try {
            await bounded(
              `remove network ${n.Name}`,
              (abortSignal) => docker().getNetwork(n.Id).remove({ abortSignal }),
              SHORT_TIMEOUT_MS,
            );
            out.networks.push(n.Name);
            return;
          } catch (e) {
            if (statusOf(e) === 404) return;
            if (attempt === 2) out.failed.push(`network ${n.Name}: ${(e as Error).message}`);
            else await new Promise((r) => setTimeout(r, 300));
          }
        }
      }),
    );
  } catch (e) {
    out.failed.push(`listing networks: ${(e as Error).message}`);
  }

  try {
    const { Volumes } = await bounded(
      'list volumes',
      (abortSignal) => docker().listVolumes({ filters, abortSignal }),
      SHORT_TIMEOUT_MS,
    );
    await Promise.all(
      (Volumes ?? []).map(async (v) => {
        try {
          await bounded(
            `remove volume ${v.Name}`,
            (abortSignal) => docker().getVolume(v.Name).remove({ force: true, abortSignal }),
            SHORT_TIMEOUT_MS,
          );
          out.volumes.push(v.Name);
        } catch (e) {
          if (statusOf(e) !== 404) out.failed.push(`volume ${v.Name}: ${(e as Error).message}`);
        }
      }),
    );
  } catch (e) {
    out.failed.push(`listing volumes: ${(e as Error).message}`);
  }
  return out;
}
