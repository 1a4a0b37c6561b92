/**
 * The local runtime: nodes as child processes of the harness on loopback ports, no Docker and
 * no root. Every client connection goes through faultline's TCP fault proxy (src/runtime/proxy),
 * and so does node-to-node traffic where the target routes it per pair (`peerAddress`: the
 * kvstore, Redis replicas) or advertises a port every peer dials through a proxy route that
 * names each connection's sender (`advertisedAddress` with the deployment's `identify`: etcd),
 * which makes partitions exact there. Kill and pause act on each node's process
 * group; clock faults run the database under libfaketime when it is installed. A watchdog
 * process and the run files in $TMPDIR/faultline-local-<uid> make sure no node outlives its
 * harness (see state.ts); `faultline clean` ends what a crashed harness left.
 */
import { z } from 'zod';
import type { Runtime, RuntimeFactory } from '../runtime.js';
import { allocateLocal } from './allocate.js';
import { probeLocal } from './probe.js';
import { cleanLocal } from './state.js';

export type { LocalCluster } from './cluster.js';
export { cleanLocal } from './state.js';

const options = z
  .object({
    blackhole: z
      .enum(['hold', 'refuse'])
      .default('hold')
      .describe(
        'how a partition treats connections: hold (accepted, nothing forwarded until the heal, as dropped packets) or refuse (reset)',
      ),
    readyTimeout: z.number().positive().default(30).describe('seconds to wait for every node to be ready'),
  })
  .strict();

export type LocalRuntimeOptions = z.input<typeof options>;

export function createLocalRuntime(o: LocalRuntimeOptions = {}): Runtime {
  const settings = options.parse(o);
  const live = new Set<{ stop(): Promise<void> }>();
  return {
    name: 'local',
    probe: probeLocal,
    allocate: (request) =>
      allocateLocal(request, { blackhole: settings.blackhole, readyTimeoutS: settings.readyTimeout }, live),
    clean: async (c) => cleanLocal(c),
    async stopAll() {
      await Promise.allSettled([...live].map((x) => x.stop()));
    },
  };
}

export const localRuntime: RuntimeFactory<z.infer<typeof options>> = {
  name: 'local',
  description: 'nodes as local processes on loopback ports behind a TCP fault proxy (no Docker, no root)',
  options,
  create: (o) => createLocalRuntime(o),
};
