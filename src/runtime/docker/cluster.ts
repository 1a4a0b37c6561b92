/**
 * The Docker runtime: one bridge network and one container per node, fixed addresses,
 * readiness, node logs, faults, teardown. Everything created is named `faultline-<run>...` and
 * labelled with the run id, so `faultline clean` can find leftovers of a crashed run.
 */
import { createWriteStream, existsSync, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { Deployment, NodeSpec, Target, TargetOptions } from '../../targets/types.js';
import {
  type ClockSpec,
  type Cluster,
  type ClusterNode,
  FAULT_KINDS,
  type FaultKind,
  type Grudge,
  type NetemSpec,
  nodeByName,
  UnsupportedFaultError,
} from '../cluster.js';
import { docker, engineStatus, LABEL_APP, LABEL_RUN, NAME_PREFIX } from './engine.js';
import { BASE_IMAGE, requireImage } from './image.js';
import { type Cidr, candidateSubnets, formatCidr, hostIp, parseCidr } from './network.js';
import { CONTROL_DIR, KILL_SCRIPT, RUNNING_SCRIPT, START_SCRIPT, supervisedCommand } from './supervisor.js';

export const FAKETIME_LIB_CANDIDATES = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1',
  '/usr/lib/faketime/libfaketimeMT.so.1',
];
/**
 * faultline's libjemalloc.so.2 stand-in (docker/jemalloc-shim.c), built by
 * scripts/setup-docker.sh; FAULTLINE_JEMALLOC_SHIM names another build.
 */
export const JEMALLOC_SHIM_CANDIDATES = ['/usr/local/lib/faultline/libjemalloc.so.2'];
const SHIM_DIR_IN_CONTAINER = '/faultline/jemalloc';
const IPTABLES = '/usr/sbin/iptables-nft';

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

interface NodeState {
  spec: NodeSpec;
  node: ClusterNode;
  container: Docker.Container;
  log: string[];
  logBytes: number;
  logFile?: WriteStream;
  logStream?: NodeJS.ReadableStream;
  strobe?: NodeJS.Timeout;
  strobeEnd?: NodeJS.Timeout;
  paused: boolean;
  killed: boolean;
  skewed: boolean;
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

/** Runs a command in a container; resolves with its exit code and output. */
export async function execIn(
  container: Docker.Container,
  cmd: string[],
  timeoutMs = 10_000,
): Promise<{ code: number; output: string }> {
  const ex = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await ex.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (c: Buffer) => chunks.push(c));
  container.modem.demuxStream(stream, sink, sink);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`exec ${cmd.join(' ')} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    stream.on('end', () => {
      clearTimeout(timer);
      resolve();
    });
    stream.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    stream.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  const info = await ex.inspect();
  return { code: info.ExitCode ?? -1, output: Buffer.concat(chunks).toString('utf8') };
}

const sh = (script: string) => ['/bin/sh', '-c', script];

function newRunId(): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  return `${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}

export { newRunId };

async function createNetwork(
  name: string,
  runId: string,
  subnet: string | undefined,
): Promise<{ network: Docker.Network; cidr: Cidr }> {
  const candidates = subnet ? [parseCidr(subnet)] : await candidateSubnets();
  let lastError: unknown;
  for (const cidr of candidates) {
    try {
      const network = await docker().createNetwork({
        Name: name,
        Driver: 'bridge',
        CheckDuplicate: true,
        // No route out: containers reach each other and the host, nothing else.
        Internal: true,
        IPAM: { Driver: 'default', Config: [{ Subnet: formatCidr(cidr), Gateway: hostIp(cidr, 1) }] },
        Labels: { [LABEL_APP]: '1', [LABEL_RUN]: runId },
      });
      return { network, cidr };
    } catch (e) {
      lastError = e;
      const msg = String((e as Error).message);
      if (!/overlap|in use|conflict/i.test(msg) || subnet) break;
    }
  }
  throw new Error(`could not create network ${name}: ${(lastError as Error)?.message ?? lastError}`);
}

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
      for (const s of states.values()) {
        clearTimeout(s.strobe);
        clearTimeout(s.strobeEnd);
      }
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
  const faults = {} as Record<FaultKind, { supported: true } | { supported: false; reason: string }>;
  const requireFault = (fault: FaultKind) => {
    const f = faults[fault];
    if (!f.supported) throw new UnsupportedFaultError(fault, f.reason);
  };
  const shell = async (name: string, script: string, what: string) => {
    const r = await execIn(state(name).container, sh(script));
    if (r.code !== 0) throw new Error(`${what} on ${name} failed (exit ${r.code}): ${r.output.trim()}`);
    return r.output;
  };
  const writeClock = (name: string, offset: string) =>
    shell(name, `echo '${offset}' > ${CONTROL_DIR}/faketime`, 'clock');
  const stopStrobe = (s: NodeState) => {
    clearTimeout(s.strobe);
    clearTimeout(s.strobeEnd);
    s.strobe = undefined;
    s.strobeEnd = undefined;
  };

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
    async partition(grudge: Grudge) {
      requireFault('partition');
      for (const n of Object.keys(grudge)) state(n);
      await Promise.all(
        [...states.values()].map((s) => {
          const drops = (grudge[s.node.name] ?? []).map((peer) => state(peer).node.host);
          const rules = drops.map((ip) => `${IPTABLES} -A INPUT -s ${ip} -j DROP`);
          return shell(s.node.name, [`${IPTABLES} -F INPUT`, ...rules].join(' && '), 'partition');
        }),
      );
    },
    async heal() {
      if (!faults.partition.supported) return;
      await Promise.all(
        [...states.values()].map(async (s) => {
          await shell(s.node.name, `${IPTABLES} -F INPUT`, 'heal');
          if (faults.latency.supported) {
            await execIn(s.container, sh('tc qdisc del dev eth0 root 2>/dev/null; true'));
          }
        }),
      );
    },
    async clock(name, spec: ClockSpec) {
      requireFault('clock');
      const s = state(name);
      if (!s.spec.fakeClock) {
        throw new UnsupportedFaultError('clock', `node ${name}'s database does not run under libfaketime`);
      }
      stopStrobe(s);
      const fmt = (sec: number) => (sec >= 0 ? `+${sec}` : `${sec}`);
      if (spec.kind === 'reset') {
        await writeClock(name, '+0');
        s.skewed = false;
      } else if (spec.kind === 'offset') {
        await writeClock(name, fmt(spec.seconds));
        s.skewed = spec.seconds !== 0;
      } else {
        let on = false;
        const flip = async () => {
          if (destroyed) return;
          on = !on;
          await writeClock(name, on ? fmt(spec.seconds) : '+0').catch(() => {});
          s.strobe = setTimeout(flip, spec.periodMs);
        };
        s.skewed = true;
        await flip();
        s.strobeEnd = setTimeout(() => {
          stopStrobe(s);
          void writeClock(name, '+0').then(
            () => {
              s.skewed = false;
            },
            () => {},
          );
        }, spec.durationMs);
      }
    },
    async netem(name, spec: NetemSpec) {
      const s = state(name);
      const cmds: string[] = [];
      if (spec.lossPercent !== undefined) {
        requireFault('loss');
        const p = Math.max(0, Math.min(100, spec.lossPercent)) / 100;
        cmds.push(`${IPTABLES} -A INPUT -m statistic --mode random --probability ${p} -j DROP`);
      }
      if (spec.delayMs !== undefined) {
        requireFault('latency');
        const jitter = spec.jitterMs ? ` ${spec.jitterMs}ms` : '';
        cmds.push(`tc qdisc replace dev eth0 root netem delay ${spec.delayMs}ms${jitter}`);
      }
      if (cmds.length > 0) await shell(s.node.name, cmds.join(' && '), 'netem');
    },
    async healAll() {
      await Promise.allSettled([...states.values()].map((s) => cluster.resume(s.node.name)));
      await cluster.heal();
      await Promise.all(
        [...states.values()].map(async (s) => {
          stopStrobe(s);
          if (faults.clock.supported && s.spec.fakeClock) await writeClock(s.node.name, '+0');
          s.skewed = false;
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
    const preload = FAKETIME_LIB_CANDIDATES.find((p) => existsSync(p));
    const shim = [process.env.FAULTLINE_JEMALLOC_SHIM, ...JEMALLOC_SHIM_CANDIDATES].find(
      (p) => p && existsSync(p),
    );
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
      // Without the stand-in, a jemalloc program would hang under libfaketime: run it as is
      // (the clock fault is then refused below).
      if (spec.fakeClock && preload && hostUsr && (!spec.jemallocShim || shim)) {
        env.push(`FAULTLINE_PRELOAD=${preload}`);
        if (spec.jemallocShim) {
          env.push(`FAULTLINE_LIBPATH=${SHIM_DIR_IN_CONTAINER}`);
          binds.push(`${shim}:${SHIM_DIR_IN_CONTAINER}/libjemalloc.so.2:ro`);
        }
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
    for (const f of FAULT_KINDS) faults[f] = { supported: true };
    const no = (f: FaultKind, reason: string) => {
      if (faults[f].supported) faults[f] = { supported: false, reason };
    };
    if (!hostUsr) {
      for (const f of ['partition', 'loss', 'latency', 'clock'] as const) {
        no(
          f,
          `needs the faultline-base image (iptables, tc, libfaketime from the host); image ${image} runs as is`,
        );
      }
    }
    if (!existsSync(IPTABLES)) {
      no('partition', `${IPTABLES} is not installed on the host (apt-get install iptables)`);
      no('loss', `${IPTABLES} is not installed on the host (apt-get install iptables)`);
    }
    if (!preload) no('clock', 'libfaketime is not installed on the host (apt-get install libfaketime)');
    if (!shim && deployment.nodes.some((n) => n.fakeClock && n.jemallocShim)) {
      no(
        'clock',
        `${target.name} links jemalloc, which hangs under libfaketime, and faultline's stand-in is not built (run scripts/setup-docker.sh; it needs gcc)`,
      );
    }
    for (const [f, reason] of Object.entries(deployment.unsupported)) no(f as FaultKind, reason);

    await Promise.all(
      [...states.values()].map(async (s) => {
        await s.container.start();
        await attachLogs(s, options.logDir);
      }),
    );
    emit(`started ${states.size} containers on ${formatCidr(cidr)}`);

    const latencyProbe = faults.latency.supported
      ? execIn(
          [...states.values()][0]!.container,
          sh('tc qdisc add dev eth0 root netem delay 1ms && tc qdisc del dev eth0 root'),
        ).then(
          (r) => {
            if (r.code !== 0) no('latency', `this kernel has no netem (tc said: ${r.output.trim()})`);
          },
          (e: Error) => no('latency', `netem probe failed: ${e.message}`),
        )
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
