/**
 * The Docker runtime: one bridge network and one container per node, fixed addresses,
 * readiness, node logs, process faults (kill/start, pause/resume), teardown. Network and
 * clock faults are in faults.ts. Everything created is named `faultline-<run>...` and
 * labelled with the run id, so `faultline clean` can find leftovers of a crashed run.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { Deployment, Target, TargetOptions } from '../../targets/types.js';
import { type Cluster, nodeByName } from '../cluster.js';
import { docker, engineStatus, LABEL_APP, LABEL_RUN, NAME_PREFIX } from './engine.js';
import { execIn, sh } from './exec.js';
import {
  type FaultNode,
  type FaultTable,
  fakeClockSetup,
  hostFaultTools,
  initFaultSupport,
  networkAndClockFaults,
  probeLatency,
} from './faults.js';
import { BASE_IMAGE, requireImage } from './image.js';
import { createNetwork, formatCidr, hostIp } from './network.js';
import { CONTROL_DIR, KILL_SCRIPT, RUNNING_SCRIPT, START_SCRIPT, supervisedCommand } from './supervisor.js';

export { execIn } from './exec.js';
export { FAKETIME_LIB_CANDIDATES, JEMALLOC_SHIM_CANDIDATES } from './faults.js';

export interface DockerClusterOptions {
  target: Target;
  targetOptions: TargetOptions;
  /** Exact subnet for the run's network (default: FAULTLINE_SUBNET, else a free /24 of the pool). */
  subnet?: string;
  /**
   * Image to run. The default, faultline-base, runs the host's /usr read-only and supports
   * every fault; a user-named image (e.g. an official one) runs the command directly under
   * Docker's init and supports only kill/start (as container restarts) and pause.
   */
  image?: string;
  /** Directory for node logs (`<dir>/<node>.log`); logs are also kept in memory. */
  logDir?: string;
  /** How long to wait for every node to be ready. */
  readyTimeoutMs?: number;
  /** Called with progress messages (for the CLI). */
  onEvent?: (message: string) => void;
}

interface NodeState extends FaultNode {
  log: string[];
  logBytes: number;
  logFile?: WriteStream;
  logStream?: NodeJS.ReadableStream;
  paused: boolean;
  killed: boolean;
}

const MAX_LOG_MEMORY = 1 << 20;

/** Clusters not yet destroyed, for signal handlers and crash paths. */
const live = new Set<Cluster>();

/** Destroys every cluster this process created and has not destroyed yet. */
export async function destroyAllClusters(): Promise<void> {
  await Promise.allSettled([...live].map((c) => c.destroy()));
}

export function liveClusterCount(): number {
  return live.size;
}

function newRunId(): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  return `${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}

export { newRunId };

/** Brings a target up in Docker and returns its Cluster once every node is ready. */
export async function createDockerCluster(options: DockerClusterOptions): Promise<Cluster> {
  const { target, targetOptions } = options;
  const runId = targetOptions.runId;
  const emit = options.onEvent ?? (() => {});
  const engine = await engineStatus();
  if (!engine.ok) throw new Error(engine.reason);
  const image = options.image ?? BASE_IMAGE;
  const hostUsr = image === BASE_IMAGE;
  await requireImage(image);

  const topology = targetOptions.topology;
  const count = targetOptions.nodes ?? target.defaultNodes(topology);
  const netName = `${NAME_PREFIX}${runId}`;
  const labels = { [LABEL_APP]: '1', [LABEL_RUN]: runId };

  const states = new Map<string, NodeState>();
  let network: Docker.Network | undefined;
  let destroyed = false;
  let destroying: Promise<void> | undefined;

  const destroy = async (): Promise<void> => {
    destroying ??= (async () => {
      destroyed = true;
      for (const s of states.values()) ops.stopStrobe(s);
      // Remove by label, so containers created before a failure are found too.
      const containers = await docker().listContainers({
        all: true,
        filters: { label: [`${LABEL_RUN}=${runId}`] },
      });
      await Promise.allSettled(
        containers.map((c) => docker().getContainer(c.Id).remove({ force: true, v: true })),
      );
      for (const s of states.values()) {
        (s.logStream as unknown as { destroy?: () => void } | undefined)?.destroy?.();
        s.logFile?.end();
      }
      const nets = await docker().listNetworks({ filters: { label: [`${LABEL_RUN}=${runId}`] } });
      await Promise.allSettled(nets.map((n) => docker().getNetwork(n.Id).remove()));
      if (network && !nets.some((n) => n.Id === network!.id)) await network.remove().catch(() => {});
      live.delete(cluster);
    })();
    return destroying;
  };

  const state = (name: string): NodeState => {
    const s = states.get(name);
    if (!s) nodeByName(cluster, name);
    return s!;
  };

  let deployment: Deployment | undefined;
  const faults = {} as FaultTable;
  const ops = networkAndClockFaults({
    faults,
    nodes: () => [...states.values()],
    state: (name) => state(name),
    destroyed: () => destroyed,
  });
  const { requireFault, shell } = ops;

  const cluster: Cluster = {
    runId,
    target: target.name,
    topology,
    get nodes() {
      return [...states.values()].map((s) => s.node);
    },
    faults,
    info: {},
    async start(name) {
      requireFault('kill');
      const s = state(name);
      if (hostUsr) await shell(name, START_SCRIPT, 'start');
      else await s.container.start().catch(ignoreNotModified);
      s.killed = false;
    },
    async kill(name) {
      requireFault('kill');
      const s = state(name);
      if (hostUsr) await shell(name, KILL_SCRIPT, 'kill');
      else await s.container.kill({ signal: 'SIGKILL' }).catch(ignoreNotModified);
      s.killed = true;
    },
    async pause(name) {
      const s = state(name);
      if (s.paused) return;
      await s.container.pause();
      s.paused = true;
    },
    async resume(name) {
      const s = state(name);
      if (!s.paused) return;
      await s.container.unpause().catch(ignoreNotModified);
      s.paused = false;
    },
    partition: ops.partition,
    heal: ops.heal,
    clock: ops.clock,
    netem: ops.netem,
    async healAll() {
      await Promise.allSettled([...states.values()].map((s) => cluster.resume(s.node.name)));
      await cluster.heal();
      await Promise.all(
        [...states.values()].map(async (s) => {
          await ops.resetClock(s);
          if (hostUsr && faults.kill.supported) {
            const running = await execIn(s.container, sh(RUNNING_SCRIPT));
            if (running.code !== 0) await cluster.start(s.node.name);
          } else if (s.killed) await cluster.start(s.node.name);
        }),
      );
    },
    async logs(name) {
      return state(name).log.join('');
    },
    async ready(name) {
      return deployment ? deployment.ready(state(name).node) : false;
    },
    destroy,
  };
  live.add(cluster);

  try {
    const { network: net, cidr } = await createNetwork(
      netName,
      runId,
      options.subnet ?? (process.env.FAULTLINE_SUBNET || undefined),
    );
    network = net;
    const hosts = Array.from({ length: count }, (_, i) => hostIp(cidr, 11 + i));
    deployment = await target.plan({ ...targetOptions, nodes: count }, hosts);
    const tools = hostFaultTools();
    if (options.logDir) mkdirSync(options.logDir, { recursive: true });

    if (!hostUsr) {
      const needs = deployment.nodes.find((n) => n.sidecar || deployment!.mounts.length > 0);
      if (needs) {
        throw new Error(
          `${target.name} ${topology} needs the faultline-base image (${needs.sidecar ? 'a sidecar process' : "faultline's own code"}); --image cannot replace it`,
        );
      }
    }
    for (const spec of deployment.nodes) {
      const env = Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`);
      if (spec.sidecar) env.push(`FAULTLINE_SIDECAR=${spec.sidecar}`);
      const binds = hostUsr ? ['/usr:/usr:ro'] : [];
      if (hostUsr) {
        const clock = fakeClockSetup(spec, tools);
        env.push(...clock.env);
        binds.push(...clock.binds);
      }
      for (const m of deployment.mounts)
        binds.push(`${m.hostPath}:${m.containerPath}${m.readOnly ? ':ro' : ''}`);
      const container = await docker().createContainer({
        name: `${netName}-${spec.name}`,
        Hostname: spec.name,
        Image: image,
        // A user's image has its own layout: find the program on its PATH.
        Cmd: hostUsr
          ? supervisedCommand(spec.command)
          : [spec.command[0]!.split('/').pop()!, ...spec.command.slice(1)],
        Env: env,
        Labels: { ...labels, 'faultline.node': spec.name, 'faultline.target': target.name },
        WorkingDir: '/data',
        HostConfig: {
          NetworkMode: netName,
          CapAdd: ['NET_ADMIN'],
          Binds: binds,
          Init: !hostUsr,
          ...(hostUsr ? { Tmpfs: { '/data': 'rw,size=512m', [CONTROL_DIR]: 'rw,size=1m' } } : {}),
        },
        NetworkingConfig: { EndpointsConfig: { [netName]: { IPAMConfig: { IPv4Address: spec.host } } } },
      });
      states.set(spec.name, {
        spec,
        container,
        node: { name: spec.name, host: spec.host, ports: spec.ports, role: spec.role },
        log: [],
        logBytes: 0,
        paused: false,
        killed: false,
        skewed: false,
      });
    }

    // Fault support: the runtime's abilities, then the target's exclusions.
    const no = initFaultSupport(faults, { hostUsr, image, tools, deployment, targetName: target.name });

    await Promise.all(
      [...states.values()].map(async (s) => {
        await s.container.start();
        await attachLogs(s, options.logDir);
      }),
    );
    emit(`started ${states.size} containers on ${formatCidr(cidr)}`);

    const latencyProbe = faults.latency.supported
      ? probeLatency([...states.values()][0]!.container, no)
      : Promise.resolve();

    await waitReady(cluster, deployment, options.readyTimeoutMs ?? 60_000, () => destroyed);
    await latencyProbe;
    const first = cluster.nodes[0];
    const dbVersion =
      first && deployment.version ? await deployment.version(first).catch(() => undefined) : undefined;
    Object.assign(cluster.info, {
      runtime: 'docker',
      engine: engine.version,
      image,
      subnet: formatCidr(cidr),
      network: netName,
      nodes: cluster.nodes.map((n) => ({ ...n })),
      ...deployment.info,
      versions: { [target.name]: dbVersion ?? 'unknown' },
    });
    emit(`cluster ready: ${cluster.nodes.map((n) => `${n.name}=${n.host}`).join(' ')}`);
    return cluster;
  } catch (e) {
    const tails = [...states.values()]
      .map((s) => `--- ${s.node.name} ---\n${s.log.join('').split('\n').slice(-15).join('\n')}`)
      .join('\n');
    await destroy();
    const err = e as Error;
    if (states.size > 0) err.message += `\nlast node log lines:\n${tails}`;
    throw err;
  }
}

function ignoreNotModified(e: { statusCode?: number }): void {
  if (e.statusCode !== 304 && e.statusCode !== 409) throw e;
}

async function attachLogs(s: NodeState, logDir: string | undefined): Promise<void> {
  if (logDir) s.logFile = createWriteStream(join(logDir, `${s.node.name}.log`), { flags: 'a' });
  const stream = (await s.container.logs({
    follow: true,
    stdout: true,
    stderr: true,
  })) as NodeJS.ReadableStream;
  s.logStream = stream;
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    s.log.push(text);
    s.logBytes += text.length;
    while (s.logBytes > MAX_LOG_MEMORY && s.log.length > 1) s.logBytes -= s.log.shift()!.length;
    s.logFile?.write(chunk);
  });
  s.container.modem.demuxStream(stream, sink, sink);
  stream.on('error', () => {});
}

async function waitReady(
  cluster: Cluster,
  deployment: Deployment,
  timeoutMs: number,
  aborted: () => boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(cluster.nodes.map((n) => n.name));
  const clusterReady = () =>
    deployment.clusterReady?.(cluster.nodes).catch(() => false) ?? Promise.resolve(true);
  while (pending.size > 0 || !(await clusterReady())) {
    if (aborted()) throw new Error('cluster destroyed while starting');
    if (Date.now() > deadline) {
      const which =
        pending.size > 0 ? `nodes not ready: ${[...pending].join(', ')}` : 'cluster-level check failed';
      throw new Error(`${cluster.target} cluster not ready after ${timeoutMs} ms (${which})`);
    }
    await Promise.all(
      [...pending].map(async (name) => {
        const ok = await deployment.ready(nodeByName(cluster, name)).catch(() => false);
        if (ok) pending.delete(name);
      }),
    );
    await new Promise((r) => setTimeout(r, 100));
  }
}
