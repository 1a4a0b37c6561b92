/**
 * The local runtime's cluster: each node a child process in its own process group (kill and
 * pause act on the group, so a node's children go with it), listening on loopback ports picked
 * per run; clients reach every node through the fault proxy, and node-to-node traffic goes
 * through per-pair proxy routes where the target asks for them (`peerAddress`), or through one
 * shared route per node and port whose senders the target's `identify` hook names
 * (`advertisedAddress`). Data in `<logDir>/<node>/`, output in `<logDir>/<node>.log`.
 *
 * The pieces: allocate.ts (ports and proxy routes), run.ts (the shapes), probe.ts, faults.ts,
 * node-process.ts, node-clock.ts, ready.ts.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Deployment } from '../../targets/types.js';
import { type FaultKind, type Grudge, type NetSpec, nodeByName, UnsupportedFaultError } from '../cluster.js';
import { type FaultProxy, type Route, type Toxics, UNKNOWN } from '../proxy/index.js';
import type { AllocateRequest, NodeSlot } from '../runtime.js';
import { localFaults, noFault, type PeerRouting, partitionNote } from './faults.js';
import { clockFault, resetClock, stopStrobe, writeClock } from './node-clock.js';
import {
  fakeClock,
  killAll,
  killDb,
  launch,
  nodeBaseEnv,
  signalGroup,
  startDb,
  writeRun,
} from './node-process.js';
import { tools } from './probe.js';
import { waitReady } from './ready.js';
import type { LocalCluster, LocalRun, LocalSettings, NodeProc } from './run.js';
import { controlDir, ensureWatchdog, removeRunFiles } from './state.js';

export { nodeHost } from './ports.js';
export { FAKETIME_LIB_CANDIDATES, JEMALLOC_SHIM_CANDIDATES, probeLocal } from './probe.js';
export type { LocalCluster, LocalSettings } from './run.js';

function nodeProcs(
  req: AllocateRequest,
  deployment: Deployment,
  slots: readonly NodeSlot[],
  clientRoutes: Map<string, Record<string, Route>>,
): Map<string, NodeProc> {
  const ctl = controlDir(req.runId);
  mkdirSync(ctl, { recursive: true, mode: 0o700 });
  const procs = new Map<string, NodeProc>();
  for (const spec of deployment.nodes) {
    const slot = slots.find((s) => s.name === spec.name);
    if (!slot) throw new Error(`deployment names node ${spec.name}, which has no slot`);
    const routes = clientRoutes.get(spec.name)!;
    procs.set(spec.name, {
      spec,
      slot,
      node: {
        name: spec.name,
        host: slot.host,
        ports: Object.fromEntries(Object.entries(routes).map(([p, r]) => [p, r.port])),
        role: spec.role,
      },
      log: join(req.logDir, `${spec.name}.log`),
      clockFile: join(ctl, `${spec.name}.faketime`),
      paused: false,
      killed: false,
      skewed: false,
    });
  }
  return procs;
}

export async function startLocal(
  req: AllocateRequest,
  settings: LocalSettings,
  live: Set<{ stop(): Promise<void> }>,
  proxy: FaultProxy,
  deployment: Deployment,
  slots: readonly NodeSlot[],
  clientRoutes: Map<string, Record<string, Route>>,
  peers: PeerRouting,
): Promise<LocalCluster> {
  const emit = req.onEvent ?? (() => {});
  const t0 = Date.now();
  const t = tools();
  const procs = nodeProcs(req, deployment, slots, clientRoutes);
  const run: LocalRun = {
    req,
    deployment,
    proxy,
    procs,
    // Fault support: the machine's, the target's, then what the proxy can make exact.
    faults: await localFaults(deployment, peers, t),
    tools: t,
    baseEnv: nodeBaseEnv(),
    starts: new Map(),
    stopped: false,
  };
  const stop = (): Promise<void> => {
    run.stopping ??= (async () => {
      run.stopped = true;
      for (const p of procs.values()) stopStrobe(p);
      await killAll(run);
      await proxy.close();
      removeRunFiles(req.runId);
      live.delete(holder);
    })();
    return run.stopping;
  };
  const holder = { stop };
  live.add(holder);
  const cluster = localCluster(run, stop);
  try {
    await startNodes(run);
    emit(`started ${procs.size} local processes`);
    await waitReady(
      cluster,
      deployment,
      [...procs.values()],
      settings.readyTimeoutS * 1000,
      req.signal,
      () => run.stopped,
    );
    checkIdentified(run, peers);
    Object.assign(cluster.info, await clusterInfo(run, settings, peers, t0));
    emit(
      `cluster ready in ${Date.now() - t0} ms: ${cluster.nodes.map((n) => `${n.name}=${n.host}:${Object.values(n.ports).join('/')}`).join(' ')}`,
    );
    return cluster;
  } catch (e) {
    const tails = logTails(procs.values());
    await stop();
    const err = e as Error;
    err.message += `\nlast node log lines:\n${tails}`;
    throw err;
  }
}

/** Data directories, clock files and logs made, the watchdog up, then every node's processes. */
async function startNodes(run: LocalRun): Promise<void> {
  for (const p of run.procs.values()) {
    mkdirSync(p.slot.dataDir, { recursive: true });
    writeClock(p, '+0');
    writeFileSync(p.log, '', { flag: 'a' });
  }
  ensureWatchdog();
  writeRun(run);
  await Promise.all(
    [...run.procs.values()].map(async (p) => {
      await startDb(run, p);
      if (p.spec.sidecar) {
        p.sidecar = await launch(run, p, 'sidecar');
        writeRun(run);
      }
    }),
  );
}

/** A hook that names no sender (another version of the database?) would leave every cut undone. */
function checkIdentified(run: LocalRun, peers: PeerRouting): void {
  const shared = run.proxy.list().filter((r) => r.from === UNKNOWN).length;
  if (peers.identified && run.proxy.stats.identified === 0)
    noFault(
      run.faults,
      'partition',
      `the target's identify hook named the sender of none of the connections to its ${shared} shared peer routes by the time the cluster was ready, so no partition could be cut (is this the database version it was written for?)`,
    );
}

async function clusterInfo(run: LocalRun, settings: LocalSettings, peers: PeerRouting, t0: number) {
  const { deployment, proxy, faults } = run;
  const first = [...run.procs.values()][0]?.node;
  const version =
    first && deployment.version ? await deployment.version(first).catch(() => undefined) : undefined;
  return {
    runtime: 'local',
    blackhole: settings.blackhole,
    nodes: [...run.procs.values()].map((p) => ({ ...p.node, listens: p.slot.ports, pid: p.db?.pid })),
    proxy: {
      routes: proxy.list().map((r) => ({ from: r.from, to: r.to, address: r.address })),
      clients: 'every client connection goes through the proxy',
      peers: peers.routed
        ? 'node-to-node traffic goes through per-pair proxy routes'
        : 'node-to-node traffic is direct (the target advertises one address per node)',
      partition:
        partitionNote(deployment, peers) ?? (faults.partition.supported ? '' : faults.partition.reason),
      latency: peers.routed
        ? 'on all data a node sends (to clients and peers)'
        : 'on the data a node sends to clients only (its peers reach it directly)',
    },
    libfaketime: deployment.nodes.some((n) => fakeClock(run, n)) ? run.tools.preload : null,
    ...deployment.info,
    ...(version ? { versions: { [deployment.nodes[0]?.role ?? 'database']: version } } : {}),
    startMs: Date.now() - t0,
  };
}

function logTails(procs: Iterable<NodeProc>): string {
  return [...procs]
    .map((p) => {
      let text = '';
      try {
        text = readFileSync(p.log, 'utf8');
      } catch {}
      return `--- ${p.spec.name} ---\n${text.split('\n').slice(-15).join('\n')}`;
    })
    .join('\n');
}

/** The LocalCluster interface over a run's nodes. */
function localCluster(run: LocalRun, stop: () => Promise<void>): LocalCluster {
  const { procs, proxy, faults } = run;
  const state = (name: string): NodeProc => {
    const p = procs.get(name);
    if (!p) nodeByName(cluster, name);
    return p!;
  };
  const requireFault = (fault: FaultKind) => {
    const f = faults[fault];
    if (!f.supported) throw new UnsupportedFaultError(fault, f.reason);
  };
  const cluster: LocalCluster = {
    runId: run.req.runId,
    get nodes() {
      return [...procs.values()].map((p) => p.node);
    },
    faults,
    info: {},
    proxy,
    async start(name) {
      requireFault('kill');
      const p = state(name);
      if (p.db) return;
      await startDb(run, p);
    },
    async kill(name) {
      requireFault('kill');
      await killDb(state(name));
    },
    async pause(name) {
      requireFault('pause');
      const p = state(name);
      if (p.paused) return;
      p.paused = true;
      for (const c of [p.db, p.sidecar]) if (c) signalGroup(c, 'SIGSTOP');
    },
    async resume(name) {
      const p = state(name);
      if (!p.paused) return;
      p.paused = false;
      for (const c of [p.db, p.sidecar]) if (c) signalGroup(c, 'SIGCONT');
    },
    async partition(grudge: Grudge) {
      requireFault('partition');
      for (const [n, drops] of Object.entries(grudge)) {
        state(n);
        for (const d of drops) state(d);
      }
      proxy.partition(grudge);
    },
    async heal() {
      for (const p of procs.values()) p.toxics = undefined;
      proxy.heal();
    },
    async clock(name, spec) {
      requireFault('clock');
      const p = state(name);
      if (!fakeClock(run, p.spec))
        throw new UnsupportedFaultError('clock', `node ${name}'s database does not run under libfaketime`);
      clockFault(run, p, spec);
    },
    async net(name: string, spec: NetSpec) {
      const p = state(name);
      const next: Toxics = { ...p.toxics };
      if (spec.lossPercent !== undefined) {
        requireFault('loss');
        next.stallPercent = Math.max(0, Math.min(100, spec.lossPercent));
      }
      if (spec.delayMs !== undefined) {
        requireFault('latency');
        next.delayMs = spec.delayMs;
        next.jitterMs = spec.jitterMs ?? 0;
      }
      p.toxics = next;
      proxy.setToxics(name, next);
    },
    toxics(name, toxics) {
      const p = state(name);
      p.toxics = toxics;
      proxy.setToxics(name, toxics);
    },
    resetConnections(name) {
      state(name);
      return proxy.reset(name);
    },
    async healAll() {
      await Promise.allSettled([...procs.keys()].map((n) => cluster.resume(n)));
      await cluster.heal();
      for (const p of procs.values()) resetClock(run, p);
      if (run.stopped) return;
      await Promise.all(
        [...procs.values()].map(async (p) => {
          if (!p.db) await startDb(run, p);
        }),
      );
    },
    async logs(name) {
      const p = state(name);
      try {
        return readFileSync(p.log, 'utf8');
      } catch {
        return '';
      }
    },
    async ready(name) {
      return run.deployment.ready(state(name).node);
    },
    stop,
  };
  return cluster;
}
