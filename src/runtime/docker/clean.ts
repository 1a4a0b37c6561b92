/**
 * Removes what faultline left in Docker: containers, networks and volumes labelled `faultline`
 * (optionally of one run only). Never touches anything without the label.
 */
import { bounded, docker, LABEL_APP, LABEL_RUN, SHORT_TIMEOUT_MS } from './engine.js';
import { removeLabelled } from './teardown.js';

export interface CleanResult {
  containers: string[];
  networks: string[];
  volumes: string[];
}

export async function cleanDocker(runId?: string): Promise<CleanResult> {
  const r = await removeLabelled(runId);
  if (r.failed.length > 0) throw new Error(`could not remove everything: ${r.failed.join('; ')}`);
  return { containers: r.containers.sort(), networks: r.networks.sort(), volumes: r.volumes.sort() };
}

/** What faultline has in Docker now (for `faultline clean --dry-run`). */
export async function listFaultlineResources(runId?: string): Promise<CleanResult> {
  const filters = { label: [runId ? `${LABEL_RUN}=${runId}` : LABEL_APP] };
  const [containers, networks, volumes] = await Promise.all([
    bounded(
      'list containers',
      (abortSignal) => docker().listContainers({ all: true, filters, abortSignal }),
      SHORT_TIMEOUT_MS,
    ),
    bounded(
      'list networks',
      (abortSignal) => docker().listNetworks({ filters, abortSignal }),
      SHORT_TIMEOUT_MS,
    ),
    bounded(
      'list volumes',
      (abortSignal) => docker().listVolumes({ filters, abortSignal }),
      SHORT_TIMEOUT_MS,
    ),
  ]);
  return {
    containers: containers.map((c) => (c.Names[0] ?? c.Id).replace(/^\//, '')).sort(),
    networks: networks.map((n) => n.Name).sort(),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name).sort(),
  };
}

/** A clean result as the runtime's list of names: `container NAME`, `network NAME`, `volume NAME`. */
export function cleanNames(r: CleanResult): string[] {
  return [
    ...r.containers.map((n) => `container ${n}`),
    ...r.networks.map((n) => `network ${n}`),
    ...r.volumes.map((n) => `volume ${n}`),
  ];
}
