/**
 * The Docker runtime: each node a container on the run's own bridge network (a free /24), at
 * its own address, so every node keeps the target's preferred ports; data in /data; host paths
 * the target shares bind-mounted read-only under /faultline/share/. Network faults come from a
 * sidecar per node (any image can be hurt), clock faults from the host's libfaketime, process
 * faults from the engine. Every Docker call is bounded, teardown escalates past a stuck node,
 * and a watchdog process removes a run's containers once the process that made them is gone.
 */

import { existsSync, mkdirSync } from 'node:fs';
import { release as kernelRelease } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { Cluster } from '../cluster.js';
import { FAULT_KINDS } from '../cluster.js';
import type {
  AllocateRequest,
  NodeSlot,
  Placement,
  Runtime,
  RuntimeFactory,
  RuntimeProbe,
} from '../runtime.js';
import { cleanDocker, cleanNames, listFaultlineResources } from './clean.js';
import { type RunPlace, removeClockRoot, startCluster } from './cluster.js';
import { engineStatus, LABEL_APP, LABEL_RUN, NAME_PREFIX } from './engine.js';
import { type FaultTable, hostFaults, hostFaultTools } from './faults.js';
import { BASE_IMAGE, ensureBaseImage, requireImage } from './image.js';
import { createNetwork, formatCidr, hostIp, parseCidr } from './network.js';
import { removeLabelled } from './teardown.js';
import { ensureReaper, LABEL_OWNER, OWNER_ID, scratchDir } from './watchdog.js';

export const SHARE_DIR = '/faultline/share';
export const DATA_DIR = '/data';

const options = z
  .object({
    image: z.string().min(1).optional().describe('run this local image instead of faultline-base'),
    subnet: z
      .string()
      .refine((s) => {
        try {
          parseCidr(s);
          return true;
        } catch {
          return false;
        }
      }, 'not an IPv4 subnet like 10.213.7.0/24')
      .optional()
      .describe(
        "subnet for the run's bridge network (default: a free /24 of 10.213.0.0/16, or FAULTLINE_SUBNET_POOL)",
      ),
    readyTimeoutMs: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('how long every node may take to be ready, ms (default 60000)'),
  })
  .strict();

export type DockerOptions = z.infer<typeof options>;

/** How long `stopAll` waits before leaving what is left to the watchdog. */
export const STOP_ALL_DEADLINE_MS = 10_000;

/** Runs this process has allocated and not stopped, for `stopAll`. */
const live = new Set<{ stop(): Promise<void> }>();

export function liveRunCount(): number {
  return live.size;
}

let hostFaultsCache: Promise<FaultTable> | undefined;

class DockerRuntime implements Runtime {
  readonly name = 'docker';
  constructor(private readonly o: DockerOptions) {}

  async probe(): Promise<RuntimeProbe> {
    const engine = await engineStatus();
    if (!engine.ok) {
      const no = { supported: false as const, reason: engine.reason };
      return {
        available: no,
        faults: Object.fromEntries(FAULT_KINDS.map((f) => [f, no])) as FaultTable,
        info: { runtime: 'docker' },
      };
    }
    hostFaultsCache ??= hostFaults(hostFaultTools()).catch((e) => {
      hostFaultsCache = undefined;
      throw e;
    });
    return {
      available: { supported: true },
      faults: { ...(await hostFaultsCache) },
      info: {
        runtime: 'docker',
        engine: engine.version,
        apiVersion: engine.apiVersion,
        kernel: kernelRelease(),
        image: this.o.image ?? BASE_IMAGE,
      },
    };
  }

  async allocate(request: AllocateRequest): Promise<Placement> {
    const { runId } = request;
    const probe = await this.probe();
    if (!probe.available.supported) throw new Error(probe.available.reason);
    const image = this.o.image ?? BASE_IMAGE;
    await ensureBaseImage(); // the sidecars run it, whatever the nodes run
    await requireImage(image);
    ensureReaper();

    const network = `${NAME_PREFIX}${runId}`;
    const labels = { [LABEL_APP]: '1', [LABEL_RUN]: runId, [LABEL_OWNER]: OWNER_ID };
    const known = new Map<string, number | undefined>();
    const clockRoot = join(scratchDir(), runId);
    let stopping: Promise<void> | undefined;
    const teardown = {
      known,
      stop: () => {
        stopping ??= (async () => {
          const r = await removeLabelled(runId, known);
          removeClockRoot(clockRoot);
          live.delete(teardown);
          if (r.failed.length > 0) {
            throw new Error(
              `run ${runId}: left in Docker (the watchdog removes it when this process exits): ${r.failed.join('; ')}`,
            );
          }
        })();
        return stopping;
      },
    };
    live.add(teardown);

    try {
      const { cidr } = await createNetwork(
        network,
        labels,
        this.o.subnet ?? (process.env.FAULTLINE_SUBNET || undefined),
      );
      mkdirSync(request.logDir, { recursive: true });
      mkdirSync(clockRoot, { recursive: true, mode: 0o755 });
      const shares = new Map<string, string>();
      const share = (hostPath: string): string => {
        const abs = resolve(hostPath);
        if (!existsSync(abs)) throw new Error(`cannot share ${abs} with the nodes: it does not exist`);
        let inNode = shares.get(abs);
        if (!inNode) {
          inNode = `${SHARE_DIR}/${shares.size}`;
          shares.set(abs, inNode);
        }
        return inNode;
      };
      const slots: NodeSlot[] = Array.from({ length: request.nodes }, (_, i) => ({
        name: `n${i + 1}`,
        host: hostIp(cidr, 11 + i),
        ports: { ...request.ports },
        dataDir: DATA_DIR,
        share,
      }));
      const info = { runtime: 'docker', image, subnet: formatCidr(cidr), network };
      const place: RunPlace = {
        runId,
        image,
        supervised: image === BASE_IMAGE,
        network,
        subnet: formatCidr(cidr),
        engineVersion: String(probe.info.engine),
        labels,
        slots,
        shares,
        clockRoot,
        logDir: request.logDir,
        readyTimeoutMs: this.o.readyTimeoutMs ?? 60_000,
        probe,
        faults: request.faults,
        tools: hostFaultTools(),
        emit: request.onEvent ?? (() => {}),
        signal: request.signal,
      };
      let started: Promise<Cluster> | undefined;
      return {
        slots,
        info,
        start(deployment) {
          if (started) throw new Error(`run ${runId}: start was called twice`);
          started = startCluster(place, deployment, teardown);
          return started;
        },
        // After a successful start the slots are the cluster's: releasing them stops it.
        release: () => teardown.stop(),
      };
    } catch (e) {
      await teardown.stop().catch(() => {});
      throw e;
    }
  }

  async clean(o: { runId?: string; dryRun?: boolean } = {}): Promise<string[]> {
    const engine = await engineStatus();
    if (!engine.ok) throw new Error(engine.reason);
    return cleanNames(o.dryRun ? await listFaultlineResources(o.runId) : await cleanDocker(o.runId));
  }

  stopAll(): Promise<void> {
    return stopAll();
  }
}

/**
 * Stops every run this process allocated and has not stopped, within STOP_ALL_DEADLINE_MS:
 * what is still there then is left to the watchdog, which removes it once this process exits.
 */
export async function stopAll(deadlineMs = STOP_ALL_DEADLINE_MS): Promise<void> {
  const all = Promise.allSettled([...live].map((r) => r.stop()));
  await Promise.race([all, new Promise((r) => setTimeout(r, deadlineMs).unref())]);
}

export const dockerRuntime: RuntimeFactory<DockerOptions> = {
  name: 'docker',
  description: 'Docker containers on a bridge network of their own (faults on any image)',
  options,
  create: (o) => new DockerRuntime(options.parse(o)),
};
