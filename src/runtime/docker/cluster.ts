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
 *
 * The pieces: run.ts (the shapes), fault-table.ts, create-node.ts, node-process.ts,
 * node-net.ts, node-clock.ts, node-logs.ts, ready.ts.
 */
import { rmSync } from 'node:fs';
import type { Deployment } from '../../targets/types.js';
import {
  type Cluster,
  type FaultKind,
  type Grudge,
  type NetSpec,
  nodeByName,
  UnsupportedFaultError,
} from '../cluster.js';
import { isFrozen } from './cgroup.js';
import { createNode, startNode } from './create-node.js';
import { bounded, SHORT_TIMEOUT_MS } from './engine.js';
import { execIn, sh } from './exec.js';
import { faultTable } from './fault-table.js';
import { probeNetem } from './faults.js';
import { imageHasPaths } from './libc.js';
import { proxyBundle } from './netns-proxy.js';
import { clockFault, setClock, stopStrobe } from './node-clock.js';
import { logTails } from './node-logs.js';
import { applyDelays, applyNet, everyNode } from './node-net.js';
import { killUserNode, nodeShell, pauseNode, restartUserNode, resumeNode } from './node-process.js';
import { nodeVersions, waitReady } from './ready.js';
import type { DockerRun, NodeState, RunPlace, RunTeardown } from './run.js';
import {
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
export type { RunPlace, RunTeardown } from './run.js';

/** Every node of the deployment has a slot; a companion process needs faultline-base. */
function checkSlots(place: RunPlace, deployment: Deployment): void {
  const slots = place.slots.map((s) => s.name);
  for (const spec of deployment.nodes) {
    if (!slots.includes(spec.name)) {
      throw new Error(`deployment names node "${spec.name}", which has no slot (slots: ${slots.join(', ')})`);
    }
    if (spec.sidecar && !place.supervised) {
      throw new Error(
        `node ${spec.name} needs a companion process beside its database (${spec.sidecar.slice(0, 60)}…), which only the faultline-base image can run: image ${place.image} runs its command as is, with no shell`,
      );
    }
  }
}

/**
 * The container's command. A user's image has its own layout: a program path the image lacks
 * (a target's default, e.g. Debian's /usr/bin/redis-server) is looked up by name on the
 * image's PATH instead.
 */
async function nodeCommands(place: RunPlace, deployment: Deployment): Promise<Map<string, string[]>> {
  const present = place.supervised
    ? new Set<string>()
    : await imageHasPaths(place.image, [...new Set(deployment.nodes.map((n) => n.command[0]!))]);
  const userCommand = (command: readonly string[]) =>
    present.has(command[0]!) ? [...command] : [command[0]!.split('/').pop()!, ...command.slice(1)];
  return new Map(
    deployment.nodes.map((n) => [
      n.name,
      place.supervised ? supervisedCommand(n.command) : userCommand(n.command),
    ]),
  );
}

/** Starts a deployment in the placed slots; resolves once every node is ready. */
export async function startCluster(
  place: RunPlace,
  deployment: Deployment,
  teardown: RunTeardown,
): Promise<Cluster> {
  checkSlots(place, deployment);
  const faults = await faultTable(place, deployment);
  const commands = await nodeCommands(place, deployment);
  const run: DockerRun = {
    place,
    deployment,
    teardown,
    faults,
    networkFaults: faults.partition.supported || faults.loss.supported || faults.latency.supported,
    proxied: faults.latency.supported && !(await probeNetem()).supported,
    states: new Map(),
    stopped: false,
  };
  const proxyCode = run.proxied ? await proxyBundle() : undefined;
  const cluster = dockerCluster(run);
  try {
    for (const spec of deployment.nodes) {
      const slot = place.slots.find((s) => s.name === spec.name)!;
      run.states.set(spec.name, await createNode(run, spec, slot, commands.get(spec.name)!));
    }
    await Promise.all([...run.states.values()].map((s) => startNode(run, s, proxyCode)));
    if (run.proxied && place.supervised)
      await everyNode(run, 'release', (s) => nodeShell(s, RELEASE_SCRIPT, 'release').then(() => {}));
    place.emit(
      `started ${run.states.size} containers on ${place.subnet}${run.networkFaults ? ' (each with a network-fault sidecar)' : ''}`,
    );
    await waitReady(cluster, deployment, place.readyTimeoutMs, () => run.stopped || !!place.signal?.aborted);
    Object.assign(cluster.info, clusterInfo(run, cluster, await nodeVersions(cluster.nodes, deployment)));
    place.emit(`cluster ready: ${cluster.nodes.map((n) => `${n.name}=${n.host}`).join(' ')}`);
    return cluster;
  } catch (e) {
    const tails = logTails(run.states.values());
    await cluster.stop().catch(() => {});
    const err = e as Error;
    if (run.states.size > 0) err.message += `\nlast node log lines:\n${tails}`;
    throw err;
  }
}

function clusterInfo(run: DockerRun, cluster: Cluster, versions: Record<string, string> | undefined) {
  const { place, faults, proxied } = run;
  return {
    runtime: 'docker',
    engine: place.engineVersion,
    image: place.image,
    subnet: place.subnet,
    network: place.network,
    networkFaults: run.networkFaults
      ? `iptables${faults.latency.supported ? (proxied ? ", latency by faultline's TCP proxy (no netem here: every node's TCP traffic passes a proxy in its namespace that delays what a slowed node sends)" : '/tc netem') : ''} in a sidecar (faultline-base, NET_ADMIN) in each node network namespace`
      : 'none',
    ...(place.supervised ? {} : { kill: 'container kill and start (the image runs as is)' }),
    nodes: cluster.nodes.map((n) => ({ ...n })),
    ...run.deployment.info,
    ...(versions ? { versions } : {}),
  };
}

/** The Cluster interface over a run's nodes. */
function dockerCluster(run: DockerRun): Cluster {
  const { states, faults } = run;
  const { supervised } = run.place;
  const state = (name: string): NodeState => {
    const s = states.get(name);
    if (!s) nodeByName({ nodes: [...states.values()].map((x) => x.node) }, name);
    return s!;
  };
  const requireFault = (fault: FaultKind) => {
    const f = faults[fault];
    if (!f.supported) throw new UnsupportedFaultError(fault, f.reason);
  };
  const cluster: Cluster = {
    runId: run.place.runId,
    get nodes() {
      return [...states.values()].map((s) => s.node);
    },
    faults,
    info: {},
    async start(name) {
      requireFault('kill');
      const s = state(name);
      if (supervised) await nodeShell(s, START_SCRIPT, 'start');
      else await restartUserNode(run, s);
      s.killed = false;
    },
    async kill(name) {
      requireFault('kill');
      const s = state(name);
      if (supervised) await nodeShell(s, KILL_SCRIPT, 'kill');
      else await killUserNode(s);
      s.killed = true;
    },
    async pause(name) {
      requireFault('pause');
      await pauseNode(state(name));
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
      await everyNode(run, 'partition', async (s) => {
        s.drops = drops.get(s)!;
        await applyNet(run, s);
      });
    },
    async heal() {
      if (!run.networkFaults) return;
      // All cleared before any is applied: each latency proxy is told every node's delay.
      for (const s of states.values()) {
        s.drops = [];
        s.net = undefined;
      }
      await everyNode(run, 'heal', (s) => applyNet(run, s, SHORT_TIMEOUT_MS));
    },
    async clock(name, spec) {
      requireFault('clock');
      const s = state(name);
      if (!s.clockDir) {
        throw new UnsupportedFaultError('clock', `node ${name}'s database does not run under libfaketime`);
      }
      clockFault(run, s, spec);
    },
    async net(name: string, spec: NetSpec) {
      const s = state(name);
      if (spec.lossPercent !== undefined) requireFault('loss');
      if (spec.delayMs !== undefined || spec.jitterMs !== undefined) requireFault('latency');
      s.net = { ...s.net, ...spec };
      await applyNet(run, s);
      if (run.proxied && (spec.delayMs !== undefined || spec.jitterMs !== undefined)) await applyDelays(run);
    },
    healAll: () => healAll(run, cluster),
    async logs(name) {
      return state(name).log.join('');
    },
    async ready(name) {
      return run.deployment.ready(state(name).node).catch(() => false);
    },
    async stop() {
      run.stopped = true;
      for (const s of states.values()) {
        stopStrobe(s);
        s.logStream?.destroy?.();
        s.logFile?.end();
      }
      await run.teardown.stop();
    },
  };
  return cluster;
}

/** Heals everything, past failures: thawed first, then the network, the clocks, killed nodes. */
async function healAll(run: DockerRun, cluster: Cluster): Promise<void> {
  const problems: string[] = [];
  const step = (p: Promise<void>) => p.catch((e: Error) => void problems.push(e.message));
  // Thawed first: nothing else can be done in a frozen node.
  await step(
    everyNode(run, 'resume', async (s) => {
      if (s.paused || isFrozen(s.container.id, s.pid)) await resumeNode(s);
    }),
  );
  await step(cluster.heal());
  for (const s of run.states.values()) {
    stopStrobe(s);
    setClock(run, s, '+0');
  }
  if (run.faults.kill.supported) await step(everyNode(run, 'restart', (s) => restartIfDown(run, cluster, s)));
  if (problems.length > 0) throw new Error(`heal incomplete: ${problems.join(' | ')}`);
}

async function restartIfDown(run: DockerRun, cluster: Cluster, s: NodeState): Promise<void> {
  if (run.place.supervised) {
    const running = await execIn(s.container, sh(RUNNING_SCRIPT), SHORT_TIMEOUT_MS);
    if (running.code !== 0) await cluster.start(s.node.name);
  } else {
    const info = await bounded(`inspect ${s.node.name}`, (abortSignal) =>
      s.container.inspect({ abortSignal }),
    );
    if (s.killed || !info.State.Running) await cluster.start(s.node.name);
  }
}

/** Removes a run's clock files. */
export function removeClockRoot(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** For teardown: the run's resources, by label. */
export { removeLabelled };
