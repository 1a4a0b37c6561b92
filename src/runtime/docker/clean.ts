/**
 * Removes what faultline left in Docker: containers and networks labelled `faultline`
 * (optionally of one run only). Never touches anything without the label.
 */
import { docker, LABEL_APP, LABEL_RUN } from './engine.js';

export interface CleanResult {
  containers: string[];
  networks: string[];
}

export async function cleanDocker(runId?: string): Promise<CleanResult> {
  const label = runId ? `${LABEL_RUN}=${runId}` : LABEL_APP;
  const containers = await docker().listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(containers.map((c) => docker().getContainer(c.Id).remove({ force: true, v: true })));
  const networks = await docker().listNetworks({ filters: { label: [label] } });
  await Promise.all(networks.map((n) => docker().getNetwork(n.Id).remove()));
  return {
    containers: containers.map((c) => (c.Names[0] ?? c.Id).replace(/^\//, '')),
    networks: networks.map((n) => n.Name),
  };
}

/** What faultline has running now, by run id (for `faultline clean --dry-run`). */
export async function listFaultlineResources(runId?: string): Promise<CleanResult> {
  const label = runId ? `${LABEL_RUN}=${runId}` : LABEL_APP;
  const containers = await docker().listContainers({ all: true, filters: { label: [label] } });
  const networks = await docker().listNetworks({ filters: { label: [label] } });
  return {
    containers: containers.map((c) => (c.Names[0] ?? c.Id).replace(/^\//, '')),
    networks: networks.map((n) => n.Name),
  };
}
