/**
 * A deployment started in Docker: one container per node on the run's bridge network, and
 * beside each a sidecar for its network faults (faults.ts). Process faults act on the
 * containers; every Docker call is bounded (engine.ts), and heal and teardown go on past a node
 * that does not answer, escalating through its cgroup (cgroup.ts, teardown.ts).
 *
 * Two kinds of image:
 *   faultline-base  the host's /usr read-only; tini, then faultline's supervisor shell, then the
 *                   database: kill and start act on the process, the container and its data
 *                   (tmpfs /data) stay; companions (e.g. redis-sentinel) run beside it;
 *   a user's image  (an official one) run as is, the command under Docker's init, /data a
 *                   volume: kill and start are container kill and start (the data stays in the
 *                   volume), the sidecar rejoins the node's new network namespace and the
 *                   node's network faults are applied again.
 */
import { createWriteStream, rmSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { Deployment, NodeSpec } from '../../targets/types.js';
import {
  type ClockSpec,
  type Cluster,
  type ClusterNode,
  type FaultKind,
  type Grudge,
  type NetSpec,
  nodeByName,
  UnsupportedFaultError,
} from '../cluster.js';
import type { RuntimeProbe } from '../runtime.js';
import { isFrozen, setFrozen } from './cgroup.js';
import { bounded, docker, LABEL_NODE, LABEL_ROLE, SHORT_TIMEOUT_MS, statusOf } from './engine.js';
import { execIn, sh } from './exec.js';
import {
  createNetSidecar,
  type FaultTable,
  fakeClockSetup,
  type HostFaultTools,
  IPTABLES,
  inputRules,
  inSidecar,
  makeClockDir,
  probeNetem,
  qdiscRule,
  writeClockFile,
} from './faults.js';
import { fakeClockOnImage, imageHasPaths } from './libc.js';
import {
  proxyBundle,
  proxyDelayScript,
  proxyNodeBinary,
  proxyReadyScript,
  proxySidecar,
} from './netns-proxy.js';
import {
  CONTROL_DIR,
  KILL_SCRIPT,
  RELEASE_SCRIPT,
  RUNNING_SCRIPT,
  START_SCRIPT,
  supervisedCommand,
} from './supervisor.js';
import { removeLabelled } from './teardown.js';

export { newRunId } from './engine.js';
export { execIn } from './exec.js';
export { FAKETIME_LIB_CANDIDATES, JEMALLOC_SHIM_CANDIDATES } from './faults.js';

/** What `allocate` decided, for `start`. */
export interface RunPlace {
  runId: string;
  image: string;
  /** faultline-base: supervised database, host /usr. */
  supervised: boolean;
  network: string;
  subnet: string;
  engineVersion: string;
  /** Labels on everything of this run. */
  labels: Record<string, string>;
  slots: readonly { name: string; host: string; ports: Record<string, number> }[];
  /** Host path → path in the node, for every path the target shared. */
  shares: ReadonlyMap<string, string>;
  /** Where this run's clock files go on the host. */
  clockRoot: string;
  logDir: string;
  readyTimeoutMs: number;
  probe: RuntimeProbe;
  /** The fault abilities the run asked for up front (the latency proxy is set up for them). */
  faults?: readonly FaultKind[];
  tools: HostFaultTools;
  emit: (message: string) => void;
  signal?: AbortSignal;
}

/** Tears a run down (every labelled resource, the clock files); idempotent; set by the placement. */
export interface RunTeardown {
  /** Containers known to this process (id → init pid), removed even when listing fails. */
  known: Map<string, number | undefined>;
  stop(): Promise<void>;
}

interface NodeState {
  spec: NodeSpec;
  node: ClusterNode;
  container: Docker.Container;
  /** The container's init pid (for the cgroup, when the engine does not answer). */
  pid?: number;
  sidecar?: Docker.Container;
  clockDir?: string;
  log: string[];
  logBytes: number;
  logFile?: WriteStream;
  logStream?: NodeJS.ReadableStream & { destroy?: () => void };
  paused: boolean;
  killed: boolean;
  /** Peers' addresses this node drops now (the partition), and its packet faults. */
  drops: string[];
  net?: NetSpec;
  /** The latency proxy's last setting (each one numbered, so its acknowledgement is known). */
  proxyGen: number;
  strobe?: NodeJS.Timeout;
  strobeEnd?: NodeJS.Timeout;
}

const MAX_LOG_MEMORY = 1 << 20;

const ignore =
  (...codes: number[]) =>
  (e: unknown) => {
    if (!codes.includes(statusOf(e) ?? -1)) throw e;
  };

/** What faults work on this deployment here: probe ∩ deployment ∩ node abilities. */
async function faultTable(place: RunPlace, deployment: Deployment): Promise<FaultTable> {
  const faults = { ...place.probe.faults } as FaultTable;
  const no = (f: FaultKind, reason: string) => {
    if (faults[f].supported) faults[f] = { supported: false, reason };
  };
  for (const [f, reason] of Object.entries(deployment.unsupported ?? {}))
    if (reason) no(f as FaultKind, reason);
  const faked = deployment.nodes.filter((n) => n.fakeClock);
  if (faked.length === 0)
    no('clock', 'no node of this deployment runs under libfaketime (the target did not ask for it)');
  const shimmed = faked.find((n) => n.jemallocShim);
  if (place.supervised) {
    if (shimmed && !place.tools.shim) {
      no(
        'clock',
        `node ${shimmed.name}'s program links jemalloc, which hangs under libfaketime, and faultline's stand-in is not built (run scripts/setup-docker.sh; it needs gcc)`,
      );
    }
  } else if (faults.clock.supported) {
    if (shimmed) {
      no(
        'clock',
        `node ${shimmed.name}'s program links jemalloc, which hangs under libfaketime; on image ${place.image} faultline cannot put its stand-in in jemalloc's place (official Redis images link jemalloc statically)`,
      );
    } else {
      const reason = await fakeClockOnImage(place.image);
      if (reason) no('clock', reason);
    }
  }
  if (faults.latency.supported && !place.faults?.includes('latency') && !(await probeNetem()).supported) {
    no(
      'latency',
      "this kernel has no netem, and faultline's proxy that stands in for it must be in front of the nodes before anyone connects: only a run that asks for latency up front gets it",
    );
  }
  return faults;
}

/** Starts a deployment in the placed slots; resolves once every node is ready. */
export async function startCluster(
  place: RunPlace,
  deployment: Deployment,
  teardown: RunTeardown,
): Promise<Cluster> {
  const { runId, image, supervised, emit } = place;
  const slotByName = new Map(place.slots.map((s) => [s.name, s]));
  for (const spec of deployment.nodes) {
    if (!slotByName.has(spec.name)) {
      throw new Error(
        `deployment names node "${spec.name}", which has no slot (slots: ${[...slotByName.keys()].join(', ')})`,
      );
    }
    if (spec.sidecar && !supervised) {
      throw new Error(
        `node ${spec.name} needs a companion process beside its database (${spec.sidecar.slice(0, 60)}…), which only the faultline-base image can run: image ${image} runs its command as is, with no shell`,
      );
    }
  }

  const faults = await faultTable(place, deployment);
  // A user's image has its own layout: a program path the image lacks (a target's default,
  // e.g. Debian's /usr/bin/redis-server) is looked up by name on the image's PATH instead.
  const present = supervised
    ? new Set<string>()
    : await imageHasPaths(image, [...new Set(deployment.nodes.map((n) => n.command[0]!))]);
  const userCommand = (command: readonly string[]) =>
    present.has(command[0]!) ? [...command] : [command[0]!.split('/').pop()!, ...command.slice(1)];
  const networkFaults = faults.partition.supported || faults.loss.supported || faults.latency.supported;
  // Latency through faultline's proxy in each node's namespace, where the kernel has no netem.
  const proxied = faults.latency.supported && !(await probeNetem()).supported;
  const proxyCode = proxied ? await proxyBundle() : undefined;
  const states = new Map<string, NodeState>();
  let stopped = false;

  const state = (name: string): NodeState => {
    const s = states.get(name);
    if (!s) nodeByName({ nodes: [...states.values()].map((x) => x.node) }, name);
    return s!;
  };
  const requireFault = (fault: FaultKind) => {
    const f = faults[fault];
    if (!f.supported) throw new UnsupportedFaultError(fault, f.reason);
  };
  const nodeShell = async (s: NodeState, script: string, what: string) => {
    const r = await execIn(s.container, sh(script));
    if (r.code !== 0)
      throw new Error(`${what} on ${s.node.name} failed (exit ${r.code}): ${r.output.trim()}`);
    return r.output;
  };
  const stopStrobe = (s: NodeState) => {
    clearTimeout(s.strobe);
    clearTimeout(s.strobeEnd);
    s.strobe = undefined;
    s.strobeEnd = undefined;
  };
  const setClock = (s: NodeState, offset: string) => {
    if (!s.clockDir) return;
    try {
      writeClockFile(s.clockDir, offset);
    } catch (e) {
      // Once stopped the files are gone, and a strobe's last tick has nothing to set.
      if (!stopped) throw e;
    }
  };
  /** The node's current network faults, applied again in its sidecar. */
  const applyNet = async (s: NodeState, timeoutMs?: number) => {
    if (!s.sidecar) return;
    const script = [inputRules(s.drops, s.net, proxied)];
    if (faults.latency.supported) script.push(proxied ? proxyDelays(s) : qdiscRule(s.net));
    await inSidecar(s.sidecar, script.join(' && '), `network faults on ${s.node.name}`, timeoutMs);
  };
  /** Every node's delay, for one node's latency proxy (which delays each node's sending). */
  const proxyDelays = (s: NodeState) =>
    proxyDelayScript(Object.fromEntries([...states.values()].map((t) => [t.node.name, t.net])), ++s.proxyGen);
  /** The delays set again in every node's latency proxy (a node's delay acts in its peers' too). */
  const applyDelays = (timeoutMs?: number) =>
    everyNode('latency', async (s) => {
      if (s.sidecar) await inSidecar(s.sidecar, proxyDelays(s), `latency on ${s.node.name}`, timeoutMs);
    });
  /** Runs `fn` on every node, past failures; throws one error naming each failure. */
  const everyNode = async (what: string, fn: (s: NodeState) => Promise<void>) => {
    const results = await Promise.allSettled([...states.values()].map(fn));
    const failed = results.flatMap((r, i) =>
      r.status === 'rejected'
        ? [`${[...states.values()][i]!.node.name}: ${(r.reason as Error).message}`]
        : [],
    );
    if (failed.length > 0)
      throw new Error(`${what} failed on ${failed.length} node(s): ${failed.join('; ')}`);
  };

  const resumeNode = async (s: NodeState) => {
    const { container } = s;
    const unpause = () =>
      bounded(
        `unpause ${s.node.name}`,
        (abortSignal) => container.unpause({ abortSignal }),
        SHORT_TIMEOUT_MS,
      );
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
  };

  const restartUserNode = async (s: NodeState) => {
    const since = (Date.now() / 1000).toFixed(3);
    await bounded(`start ${s.node.name}`, (abortSignal) => s.container.start({ abortSignal })).catch(
      ignore(304),
    );
    s.pid = await initPid(s.container);
    teardown.known.set(s.container.id, s.pid);
    await attachLogs(s, place.logDir, since);
    if (s.sidecar) {
      // The node has a new network namespace: the sidecar rejoins it, the faults are set again.
      const sidecar = s.sidecar;
      await bounded(`restart ${s.node.name}'s sidecar`, (abortSignal) =>
        sidecar.restart({ t: 0, abortSignal }),
      );
      await applyNet(s);
    }
  };

  const cluster: Cluster = {
    runId,
    get nodes() {
      return [...states.values()].map((s) => s.node);
    },
    faults,
    info: {},
    async start(name) {
      requireFault('kill');
      const s = state(name);
      if (supervised) await nodeShell(s, START_SCRIPT, 'start');
      else await restartUserNode(s);
      s.killed = false;
    },
    async kill(name) {
      requireFault('kill');
      const s = state(name);
      if (supervised) await nodeShell(s, KILL_SCRIPT, 'kill');
      else {
        await bounded(`kill ${name}`, (abortSignal) =>
          s.container.kill({ signal: 'SIGKILL', abortSignal }),
        ).catch(ignore(304, 409));
      }
      s.killed = true;
    },
    async pause(name) {
      requireFault('pause');
      const s = state(name);
      if (s.paused) return;
      for (let attempt = 1; ; attempt++) {
        try {
          await bounded(`pause ${name}`, (abortSignal) => s.container.pause({ abortSignal }));
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
    },
    async resume(name) {
      const s = state(name);
      if (s.paused) await resumeNode(s);
    },
    async partition(grudge: Grudge) {
      requireFault('partition');
      for (const n of Object.keys(grudge)) state(n);
      const drops = new Map(
        [...states.values()].map((s) => [
          s,
          (grudge[s.node.name] ?? []).map((peer) => state(peer).node.host),
        ]),
      );
      await everyNode('partition', async (s) => {
        s.drops = drops.get(s)!;
        await applyNet(s);
      });
    },
    async heal() {
      if (!networkFaults) return;
      // All cleared before any is applied: each latency proxy is told every node's delay.
      for (const s of states.values()) {
        s.drops = [];
        s.net = undefined;
      }
      await everyNode('heal', (s) => applyNet(s, SHORT_TIMEOUT_MS));
    },
    async clock(name: string, spec: ClockSpec) {
      requireFault('clock');
      const s = state(name);
      if (!s.clockDir) {
        throw new UnsupportedFaultError('clock', `node ${name}'s database does not run under libfaketime`);
      }
      stopStrobe(s);
      const fmt = (sec: number) => (sec >= 0 ? `+${sec}` : `${sec}`);
      if (spec.kind === 'reset') setClock(s, '+0');
      else if (spec.kind === 'offset') setClock(s, fmt(spec.seconds));
      else {
        let on = false;
        const flip = () => {
          if (stopped) return;
          on = !on;
          try {
            setClock(s, on ? fmt(spec.seconds) : '+0');
          } catch {
            // A timer has no caller to tell; the next tick or healAll tries again.
          }
          s.strobe = setTimeout(flip, spec.periodMs);
        };
        flip();
        s.strobeEnd = setTimeout(() => {
          stopStrobe(s);
          try {
            setClock(s, '+0');
          } catch {
            // As above: healAll resets the clock again.
          }
        }, spec.durationMs);
      }
    },
    async net(name: string, spec: NetSpec) {
      const s = state(name);
      if (spec.lossPercent !== undefined) requireFault('loss');
      if (spec.delayMs !== undefined || spec.jitterMs !== undefined) requireFault('latency');
      s.net = { ...s.net, ...spec };
      await applyNet(s);
      if (proxied && (spec.delayMs !== undefined || spec.jitterMs !== undefined)) await applyDelays();
    },
    async healAll() {
      const problems: string[] = [];
      const step = (p: Promise<void>) => p.catch((e: Error) => void problems.push(e.message));
      // Thawed first: nothing else can be done in a frozen node.
      await step(
        everyNode('resume', async (s) => {
          if (s.paused || isFrozen(s.container.id, s.pid)) await resumeNode(s);
        }),
      );
      await step(cluster.heal());
      for (const s of states.values()) {
        stopStrobe(s);
        setClock(s, '+0');
      }
      if (faults.kill.supported) {
        await step(
          everyNode('restart', async (s) => {
            if (supervised) {
              const running = await execIn(s.container, sh(RUNNING_SCRIPT), SHORT_TIMEOUT_MS);
              if (running.code !== 0) await cluster.start(s.node.name);
            } else {
              const info = await bounded(`inspect ${s.node.name}`, (abortSignal) =>
                s.container.inspect({ abortSignal }),
              );
              if (s.killed || !info.State.Running) await cluster.start(s.node.name);
            }
          }),
        );
      }
      if (problems.length > 0) throw new Error(`heal incomplete: ${problems.join(' | ')}`);
    },
    async logs(name) {
      return state(name).log.join('');
    },
    async ready(name) {
      return deployment.ready(state(name).node).catch(() => false);
    },
    async stop() {
      stopped = true;
      for (const s of states.values()) {
        stopStrobe(s);
        s.logStream?.destroy?.();
        s.logFile?.end();
      }
      await teardown.stop();
    },
  };

  try {
    const clockSetup = (spec: NodeSpec) =>
      spec.fakeClock && faults.clock.supported
        ? fakeClockSetup(
            {
              jemallocShim: spec.jemallocShim,
              clockDir: makeClockDir(place.clockRoot, spec.name),
              supervised,
            },
            place.tools,
          )
        : undefined;
    for (const spec of deployment.nodes) {
      const slot = slotByName.get(spec.name)!;
      const env = Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`);
      if (spec.sidecar) env.push(`FAULTLINE_SIDECAR=${spec.sidecar}`);
      // Behind latency proxies, no database runs (or dials a peer) before every proxy is up:
      // connections made before the redirects would bypass them for good.
      if (proxied && supervised) env.push('FAULTLINE_HOLD=1');
      const binds = supervised ? ['/usr:/usr:ro'] : [];
      for (const [hostPath, nodePath] of place.shares) binds.push(`${hostPath}:${nodePath}:ro`);
      const clock = clockSetup(spec);
      if (clock) {
        env.push(...clock.env);
        binds.push(...clock.binds);
      }
      const labels = { ...place.labels, [LABEL_NODE]: spec.name, [LABEL_ROLE]: 'node' };
      const container = await bounded(`create ${spec.name}`, (abortSignal) =>
        docker().createContainer({
          name: `${place.network}-${spec.name}`,
          Hostname: spec.name,
          Image: image,
          Cmd: supervised ? supervisedCommand(spec.command) : userCommand(spec.command),
          Env: env,
          Labels: labels,
          WorkingDir: '/data',
          HostConfig: {
            NetworkMode: place.network,
            Binds: binds,
            Init: !supervised,
            ...(supervised
              ? { Tmpfs: { '/data': 'rw,size=512m', [CONTROL_DIR]: 'rw,size=1m' } }
              : {
                  // An anonymous volume (removed with the container), labelled for clean and the watchdog.
                  Mounts: [
                    {
                      Type: 'volume' as const,
                      Source: '',
                      Target: '/data',
                      VolumeOptions: {
                        NoCopy: false,
                        Labels: labels,
                        DriverConfig: { Name: 'local', Options: {} },
                      },
                    },
                  ],
                }),
          },
          NetworkingConfig: {
            EndpointsConfig: { [place.network]: { IPAMConfig: { IPv4Address: slot.host } } },
          },
          abortSignal,
        }),
      );
      teardown.known.set(container.id, undefined);
      states.set(spec.name, {
        spec,
        container,
        clockDir: clock ? join(place.clockRoot, spec.name) : undefined,
        node: { name: spec.name, host: slot.host, ports: { ...slot.ports }, role: spec.role },
        log: [],
        logBytes: 0,
        paused: false,
        killed: false,
        drops: [],
        proxyGen: 0,
      });
    }

    await Promise.all(
      [...states.values()].map(async (s) => {
        await bounded(`start ${s.node.name}`, (abortSignal) => s.container.start({ abortSignal }));
        s.pid = await initPid(s.container);
        teardown.known.set(s.container.id, s.pid);
        await attachLogs(s, place.logDir);
        if (networkFaults) {
          const proxy = proxyCode
            ? proxySidecar(
                {
                  node: s.node.name,
                  host: s.node.host,
                  ports: Object.values(s.node.ports),
                  peers: Object.fromEntries(
                    [...states.values()].filter((t) => t !== s).map((t) => [t.node.name, t.node.host]),
                  ),
                  iptables: IPTABLES,
                },
                proxyNodeBinary()!,
                proxyCode,
              )
            : undefined;
          const labels = { ...place.labels, [LABEL_NODE]: s.node.name, [LABEL_ROLE]: 'net' };
          const name = `${place.network}-${s.node.name}-net`;
          const sidecar = await createNetSidecar(s.container, name, labels, proxy);
          teardown.known.set(sidecar.id, undefined);
          s.sidecar = sidecar;
          await bounded(`start ${s.node.name}'s sidecar`, (abortSignal) => sidecar.start({ abortSignal }));
          if (proxy) await inSidecar(sidecar, proxyReadyScript(), `${s.node.name}'s latency proxy`);
        }
      }),
    );
    if (proxied && supervised)
      await everyNode('release', (s) => nodeShell(s, RELEASE_SCRIPT, 'release').then(() => {}));
    emit(
      `started ${states.size} containers on ${place.subnet}${networkFaults ? ' (each with a network-fault sidecar)' : ''}`,
    );

    await waitReady(cluster, deployment, place.readyTimeoutMs, () => stopped || !!place.signal?.aborted);
    const versions = await nodeVersions(cluster.nodes, deployment);
    Object.assign(cluster.info, {
      runtime: 'docker',
      engine: place.engineVersion,
      image,
      subnet: place.subnet,
      network: place.network,
      networkFaults: networkFaults
        ? `iptables${faults.latency.supported ? (proxied ? ", latency by faultline's TCP proxy (no netem here: every node's TCP traffic passes a proxy in its namespace that delays what a slowed node sends)" : '/tc netem') : ''} in a sidecar (faultline-base, NET_ADMIN) in each node network namespace`
        : 'none',
      ...(supervised ? {} : { kill: 'container kill and start (the image runs as is)' }),
      nodes: cluster.nodes.map((n) => ({ ...n })),
      ...deployment.info,
      ...(versions ? { versions } : {}),
    });
    emit(`cluster ready: ${cluster.nodes.map((n) => `${n.name}=${n.host}`).join(' ')}`);
    return cluster;
  } catch (e) {
    const tails = [...states.values()]
      .map((s) => `--- ${s.node.name} ---\n${s.log.join('').split('\n').slice(-15).join('\n')}`)
      .join('\n');
    await cluster.stop().catch(() => {});
    const err = e as Error;
    if (states.size > 0) err.message += `\nlast node log lines:\n${tails}`;
    throw err;
  }
}

async function initPid(container: Docker.Container): Promise<number | undefined> {
  const info = await bounded('inspect', (abortSignal) => container.inspect({ abortSignal })).catch(
    () => undefined,
  );
  return info?.State.Pid || undefined;
}

/** The database's version per the deployment: one value, or one per node when they differ. */
async function nodeVersions(
  nodes: readonly ClusterNode[],
  deployment: Deployment,
): Promise<Record<string, string> | undefined> {
  const { version } = deployment;
  if (!version) return undefined;
  const read = (n: ClusterNode) =>
    Promise.race([
      version(n).catch(() => 'unknown'),
      new Promise<string>((r) => setTimeout(() => r('unknown'), 5000).unref()),
    ]);
  const all = await Promise.all(nodes.map(read));
  const distinct = new Set(all);
  if (distinct.size === 1) return { database: all[0]! };
  return Object.fromEntries(nodes.map((n, i) => [`database@${n.name}`, all[i]!]));
}

async function attachLogs(s: NodeState, logDir: string, since?: string): Promise<void> {
  s.logStream?.destroy?.();
  s.logFile ??= createWriteStream(join(logDir, `${s.node.name}.log`), { flags: 'a' });
  s.logFile.on('error', () => {});
  const stream = (await bounded(`logs of ${s.node.name}`, (abortSignal) =>
    s.container.logs({
      follow: true,
      stdout: true,
      stderr: true,
      abortSignal,
      ...(since ? { since } : {}),
    } as {
      follow: true;
    }),
  )) as NodeState['logStream'] & NodeJS.ReadableStream;
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
  for (;;) {
    if (aborted()) throw new Error('cluster stopped while starting');
    await Promise.all(
      [...pending].map(async (name) => {
        const ok = await deployment.ready(nodeByName(cluster, name)).catch(() => false);
        if (ok) pending.delete(name);
      }),
    );
    if (pending.size === 0 && (await (deployment.clusterReady?.(cluster.nodes).catch(() => false) ?? true)))
      return;
    if (Date.now() > deadline) {
      const which =
        pending.size > 0 ? `nodes not ready: ${[...pending].join(', ')}` : 'cluster-level check failed';
      throw new Error(`cluster not ready after ${timeoutMs} ms (${which})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Removes a run's clock files. */
export function removeClockRoot(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** For teardown: the run's resources, by label. */
export { removeLabelled };
