/**
 * The local runtime's placement and cluster: each node a child process in its own process
 * group (kill and pause act on the group, so a node's children go with it), listening on
 * loopback ports picked per run; clients reach every node through the fault proxy, and
 * node-to-node traffic goes through per-pair proxy routes where the target asks for them
 * (`peerAddress`), or through one shared route per node and port whose senders the target's
 * `identify` hook names (`advertisedAddress`). Data in `<logDir>/<node>/`, output in
 * `<logDir>/<node>.log`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { Deployment, NodeSpec } from '../../targets/types.js';
import {
  type ClockSpec,
  type Cluster,
  type ClusterNode,
  FAULT_KINDS,
  type FaultKind,
  type Grudge,
  type NetSpec,
  nodeByName,
  UnsupportedFaultError,
} from '../cluster.js';
import { processStartTime } from '../process.js';
import { CLIENT, FaultProxy, type Route, type Toxics, UNKNOWN } from '../proxy/index.js';
import type { AllocateRequest, NodeSlot, Placement, RuntimeProbe } from '../runtime.js';
import {
  controlDir,
  ensureWatchdog,
  groupAlive,
  type RecordedProcess,
  removeRunFiles,
  writeRunFile,
} from './state.js';

export const FAKETIME_LIB_CANDIDATES = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1',
  '/usr/lib/faketime/libfaketimeMT.so.1',
];
/** faultline's libjemalloc.so.2 stand-in (docker/jemalloc-shim.c, built by scripts/setup-docker.sh). */
export const JEMALLOC_SHIM_CANDIDATES = ['/usr/local/lib/faultline/libjemalloc.so.2'];

export interface LocalSettings {
  blackhole: 'hold' | 'refuse';
  readyTimeoutS: number;
}

type Support = { supported: true } | { supported: false; reason: string };
type FaultTable = Record<FaultKind, Support>;

function tools() {
  return {
    // FAULTLINE_LIBFAKETIME names another build; set empty, it turns clock faults off.
    preload:
      process.env.FAULTLINE_LIBFAKETIME !== undefined
        ? process.env.FAULTLINE_LIBFAKETIME || undefined
        : FAKETIME_LIB_CANDIDATES.find((p) => existsSync(p)),
    shim: [process.env.FAULTLINE_JEMALLOC_SHIM, ...JEMALLOC_SHIM_CANDIDATES].find((p) => p && existsSync(p)),
  };
}

export async function probeLocal(): Promise<RuntimeProbe> {
  const t = tools();
  const faults = Object.fromEntries(FAULT_KINDS.map((f) => [f, { supported: true }])) as FaultTable;
  if (process.platform !== 'linux')
    faults.clock = {
      supported: false,
      reason: `libfaketime is wired for Linux only (this is ${process.platform})`,
    };
  else if (!t.preload)
    faults.clock = {
      supported: false,
      reason:
        'libfaketime is not installed (apt-get install libfaketime; faultline looks for libfaketimeMT.so.1)',
    };
  return {
    available: { supported: true },
    faults,
    info: {
      runtime: 'local',
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      libfaketime: t.preload ?? null,
      proxy: 'faultline TCP proxy (latency, jitter, bandwidth, stalls, partitions, resets)',
    },
  };
}

/**
 * Each node's loopback address: its own 127.0.0.x on Linux (the whole 127/8 is local there), so
 * addresses name nodes as on a network (Sentinel's answers, logs); 127.0.0.1 elsewhere.
 */
export const nodeHost = (i: number): string =>
  process.platform === 'linux' && i < 240 ? `127.0.0.${11 + i}` : '127.0.0.1';

/** Loopback ports outside the usual ephemeral range, free now (held until all are picked). */
async function pickPorts(count: number, host: string): Promise<number[]> {
  const held: net.Server[] = [];
  const ports: number[] = [];
  try {
    for (let tries = 0; ports.length < count; tries++) {
      if (tries > count * 50) throw new Error('no free loopback ports found in 20000-32767');
      const port = 20000 + Math.floor(Math.random() * 12768);
      if (ports.includes(port)) continue;
      const server = net.createServer();
      const ok = await new Promise<boolean>((resolve) => {
        server.once('error', () => resolve(false));
        server.listen({ host, port, exclusive: true }, () => resolve(true));
      });
      if (!ok) continue;
      held.push(server);
      ports.push(port);
    }
  } finally {
    await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
  }
  return ports;
}

interface NodeProc {
  spec: NodeSpec;
  slot: NodeSlot;
  node: ClusterNode;
  log: string;
  clockFile: string;
  db?: ChildProcess;
  dbExit?: Promise<void>;
  sidecar?: ChildProcess;
  paused: boolean;
  killed: boolean;
  skewed: boolean;
  strobe?: NodeJS.Timeout;
  strobeEnd?: NodeJS.Timeout;
  toxics?: Toxics;
}

/** A local cluster: the Cluster interface, plus the proxy's own faults. */
export interface LocalCluster extends Cluster {
  /** Replaces the toxics on the data `node` sends (latency, jitter, bandwidth, stalls). */
  toxics(node: string, toxics: Toxics | undefined): void;
  /** Resets every open proxied connection to or from `node`; returns how many. */
  resetConnections(node: string): number;
  readonly proxy: FaultProxy;
}

export async function allocateLocal(
  req: AllocateRequest,
  settings: LocalSettings,
  live: Set<{ stop(): Promise<void> }>,
): Promise<Placement> {
  const names = Array.from({ length: req.nodes }, (_, i) => `n${i + 1}`);
  const portNames = Object.keys(req.ports);
  const proxy = new FaultProxy({ blackhole: settings.blackhole });
  const released = { done: false };
  const holder = {
    stop: async () => {
      if (released.done) return;
      released.done = true;
      await proxy.close();
      live.delete(holder);
    },
  };
  live.add(holder);
  try {
    const real = await Promise.all(names.map((_, i) => pickPorts(portNames.length, nodeHost(i))));
    const realPorts = (i: number) => Object.fromEntries(portNames.map((p, k) => [p, real[i]![k]!]));
    const clientRoutes = new Map<string, Record<string, Route>>();
    const peerRoutes = new Map<string, Route>();
    // One per node and port, which every peer dials (the target names each sender: identify).
    const shared = new Map<string, Route>();
    const used = new Set<Route>();
    const key = (from: string, to: string, port: string) => `${from}>${to}:${port}`;
    await Promise.all(
      names.map(async (to, i) => {
        const ports = realPorts(i);
        const mine: Record<string, Route> = {};
        for (const p of portNames) {
          const at = { host: nodeHost(i), targetHost: nodeHost(i), targetPort: ports[p]! };
          mine[p] = await proxy.addRoute({ from: CLIENT, to, ...at });
          shared.set(`${to}:${p}`, await proxy.addRoute({ from: UNKNOWN, to, ...at }));
          for (const from of names) {
            if (from === to) continue;
            peerRoutes.set(key(from, to, p), await proxy.addRoute({ from, to, ...at }));
          }
        }
        clientRoutes.set(to, mine);
      }),
    );
    mkdirSync(req.logDir, { recursive: true });
    const slots: NodeSlot[] = names.map((name, i) => ({
      name,
      host: nodeHost(i),
      ports: realPorts(i),
      dataDir: join(req.logDir, name),
      share: (hostPath: string) => hostPath,
      peer(other: string, port: string) {
        const r = peerRoutes.get(key(name, other, port));
        if (!r) throw new Error(`no route from ${name} to ${other}'s ${port} port`);
        used.add(r);
        return r.address;
      },
      advertise(port: string) {
        const r = shared.get(`${name}:${port}`);
        if (!r) throw new Error(`${name} has no ${port} port`);
        used.add(r);
        return r.address;
      },
    }));
    return {
      slots,
      info: { runtime: 'local', hosts: names.map((_, i) => nodeHost(i)), blackhole: settings.blackhole },
      async start(deployment) {
        // A shared route cuts per pair only with the target's hook naming each sender.
        for (const [at, r] of shared) {
          const identify = deployment.identify?.[at.slice(at.indexOf(':') + 1)];
          if (identify && used.has(r)) proxy.identifyOn(r, identify);
          else used.delete(r);
        }
        // Whether every pair that talks is routed decides partitions; unused routes are closed.
        const through = (a: string, b: string, p: string) =>
          used.has(peerRoutes.get(key(a, b, p))!) || used.has(shared.get(`${b}:${p}`)!);
        const dials = (a: string, b: string) =>
          !deployment.dials || Boolean(deployment.dials[a]?.includes(b));
        const routed = names.every((a) =>
          names.every((b) => a === b || !dials(a, b) || portNames.some((p) => through(a, b, p))),
        );
        const identified = [...shared.values()].some((r) => used.has(r));
        await Promise.all(
          [...peerRoutes.values(), ...shared.values()]
            .filter((r) => !used.has(r))
            .map((r) => proxy.removeRoute(r)),
        );
        live.delete(holder);
        released.done = true;
        return startLocal(req, settings, live, proxy, deployment, slots, clientRoutes, {
          routed,
          identified,
        });
      },
      release: holder.stop,
    };
  } catch (e) {
    await holder.stop();
    throw e;
  }
}

async function startLocal(
  req: AllocateRequest,
  settings: LocalSettings,
  live: Set<{ stop(): Promise<void> }>,
  proxy: FaultProxy,
  deployment: Deployment,
  slots: readonly NodeSlot[],
  clientRoutes: Map<string, Record<string, Route>>,
  peers: { routed: boolean; identified: boolean },
): Promise<LocalCluster> {
  const routedPerPair = peers.routed;
  const emit = req.onEvent ?? (() => {});
  const t0 = Date.now();
  const t = tools();
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

  // Fault support: the machine's, the target's, then what the proxy can make exact.
  const faults = (await probeLocal()).faults;
  const no = (f: FaultKind, reason: string) => {
    if (faults[f].supported) faults[f] = { supported: false, reason };
  };
  if (faults.clock.supported && !deployment.nodes.some((n) => n.fakeClock))
    no('clock', 'the target does not run its database under libfaketime (no node asks for fakeClock)');
  if (!t.shim && deployment.nodes.some((n) => n.fakeClock && n.jemallocShim))
    no(
      'clock',
      "the database links jemalloc, which hangs under libfaketime, and faultline's stand-in is not built (scripts/setup-docker.sh builds it; it needs gcc)",
    );
  for (const [f, reason] of Object.entries(deployment.unsupported ?? {})) no(f as FaultKind, reason);
  const partitionNote = !routedPerPair
    ? undefined
    : peers.identified
      ? "exact for every grudge on the traffic whose sender the target's identify hook names: every node dials a peer's advertised port through one proxy route, which names each connection's sender from what it sends and cuts it per pair; a connection that never names its sender is never cut"
      : deployment.dials
        ? 'exact for every grudge: each node reaches each node it dials through its own proxy route, and the other pairs exchange nothing'
        : 'exact for every grudge: each node reaches each other node through its own proxy route';
  if (!routedPerPair)
    no(
      'partition',
      "this target's nodes reach each other at the one address each advertises (where it also listens), not through per-pair routes (peerAddress): the local runtime's proxy sits only in front of client traffic, so no partition of node-to-node traffic can be made exact on it (use --runtime docker)",
    );
  const fakeClock = (spec: NodeSpec) =>
    Boolean(faults.clock.supported && spec.fakeClock && t.preload && (!spec.jemallocShim || t.shim));

  let stopped = false;
  let stopping: Promise<void> | undefined;
  const runFile = () =>
    writeRunFile({
      runId: req.runId,
      owner: { pid: process.pid, start: processStartTime(process.pid) },
      logDir: req.logDir,
      processes: [...procs.values()].flatMap((p) => {
        const out: RecordedProcess[] = [];
        for (const [kind, c] of [
          ['db', p.db],
          ['sidecar', p.sidecar],
        ] as const) {
          if (c?.pid) out.push({ node: p.spec.name, kind, pid: c.pid, start: startOf(c) });
        }
        return out;
      }),
    });
  const starts = new Map<ChildProcess, string | undefined>();
  const startOf = (c: ChildProcess) => starts.get(c);

  const baseEnv = (() => {
    const { NODE_OPTIONS: _a, VITEST: _b, VITEST_WORKER_ID: _c, VITEST_POOL_ID: _d, ...env } = process.env;
    return env;
  })();

  const launch = (p: NodeProc, kind: 'db' | 'sidecar'): Promise<ChildProcess> => {
    const { spec } = p;
    const clock = kind === 'db' && fakeClock(spec);
    const env: Record<string, string | undefined> = { ...baseEnv, ...spec.env };
    if (clock) {
      env.LD_PRELOAD = t.preload;
      env.FAKETIME_TIMESTAMP_FILE = p.clockFile;
      env.FAKETIME_NO_CACHE = '1';
      env.FAKETIME_DONT_FAKE_MONOTONIC = '1';
      if (spec.jemallocShim && t.shim) env.LD_LIBRARY_PATH = t.shim.replace(/\/[^/]+$/, '');
    }
    const [file, args] =
      kind === 'db' ? [spec.command[0]!, spec.command.slice(1)] : ['/bin/sh', ['-c', spec.sidecar!]];
    appendFileSync(
      p.log,
      `[faultline] starting ${kind === 'db' ? 'database' : 'sidecar'}: ${[file, ...args].join(' ')}\n`,
    );
    const fd = openSync(p.log, 'a');
    let child: ChildProcess;
    try {
      child = spawn(file, args, { detached: true, stdio: ['ignore', fd, fd], env, cwd: p.slot.dataDir });
    } finally {
      closeSync(fd);
    }
    return new Promise((resolve, reject) => {
      child.once('error', (e) => {
        appendFileSync(p.log, `[faultline] could not start ${file}: ${e.message}\n`);
        reject(new Error(`node ${spec.name}: could not start ${file}: ${e.message}`));
      });
      child.once('spawn', () => {
        starts.set(child, processStartTime(child.pid!));
        resolve(child);
      });
    });
  };

  const startDb = async (p: NodeProc) => {
    const child = await launch(p, 'db');
    p.db = child;
    p.killed = false;
    p.dbExit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (p.db === child) {
          p.db = undefined;
          if (!stopped && !p.killed)
            appendFileSync(
              p.log,
              `[faultline] database exited by itself (${signal ?? code}); not restarting\n`,
            );
        }
        resolve();
      });
    });
    if (p.paused) signalGroup(child, 'SIGSTOP');
    runFile();
  };

  const state = (name: string): NodeProc => {
    const p = procs.get(name);
    if (!p) nodeByName(cluster, name);
    return p!;
  };
  const requireFault = (fault: FaultKind) => {
    const f = faults[fault];
    if (!f.supported) throw new UnsupportedFaultError(fault, f.reason);
  };
  const writeClock = (p: NodeProc, offset: string) => writeFileSync(p.clockFile, `${offset}\n`);
  const stopStrobe = (p: NodeProc) => {
    clearTimeout(p.strobe);
    clearTimeout(p.strobeEnd);
    p.strobe = undefined;
    p.strobeEnd = undefined;
  };
  const resetClock = (p: NodeProc) => {
    stopStrobe(p);
    if (fakeClock(p.spec)) writeClock(p, '+0');
    p.skewed = false;
  };

  const stop = async (): Promise<void> => {
    stopping ??= (async () => {
      stopped = true;
      for (const p of procs.values()) {
        stopStrobe(p);
        for (const c of [p.db, p.sidecar]) if (c) signalGroup(c, 'SIGKILL');
      }
      await Promise.race([
        Promise.all([...procs.values()].map((p) => p.dbExit)),
        new Promise((r) => setTimeout(r, 5000)),
      ]);
      // Whatever else the groups held (a database's children) goes too.
      const deadline = Date.now() + 3000;
      const groups = [...starts.keys()].map((c) => c.pid!).filter((pid) => pid);
      while (groups.some(groupAlive) && Date.now() < deadline) {
        for (const g of groups) if (groupAlive(g)) signalPid(-g, 'SIGKILL');
        await new Promise((r) => setTimeout(r, 20));
      }
      await proxy.close();
      removeRunFiles(req.runId);
      live.delete(holder);
    })();
    return stopping;
  };
  const holder = { stop };
  live.add(holder);

  const cluster: LocalCluster = {
    runId: req.runId,
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
      await startDb(p);
    },
    async kill(name) {
      requireFault('kill');
      const p = state(name);
      p.killed = true;
      const db = p.db;
      if (!db) return;
      signalGroup(db, 'SIGKILL');
      await Promise.race([p.dbExit, new Promise((r) => setTimeout(r, 5000))]);
      // The group may hold the database's children, which exit later.
      for (let i = 0; i < 100 && groupAlive(db.pid!); i++) {
        signalPid(-db.pid!, 'SIGKILL');
        await new Promise((r) => setTimeout(r, 10));
      }
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
    async clock(name: string, spec: ClockSpec) {
      requireFault('clock');
      const p = state(name);
      if (!fakeClock(p.spec))
        throw new UnsupportedFaultError('clock', `node ${name}'s database does not run under libfaketime`);
      stopStrobe(p);
      const fmt = (sec: number) => (sec >= 0 ? `+${sec}` : `${sec}`);
      if (spec.kind === 'reset') {
        writeClock(p, '+0');
        p.skewed = false;
      } else if (spec.kind === 'offset') {
        writeClock(p, fmt(spec.seconds));
        p.skewed = spec.seconds !== 0;
      } else {
        let on = false;
        const flip = () => {
          if (stopped) return;
          on = !on;
          writeClock(p, on ? fmt(spec.seconds) : '+0');
          p.strobe = setTimeout(flip, spec.periodMs);
        };
        p.skewed = true;
        flip();
        p.strobeEnd = setTimeout(() => {
          stopStrobe(p);
          if (!stopped) writeClock(p, '+0');
          p.skewed = false;
        }, spec.durationMs);
      }
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
      for (const p of procs.values()) resetClock(p);
      if (stopped) return;
      await Promise.all(
        [...procs.values()].map(async (p) => {
          if (!p.db) await startDb(p);
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
      return deployment.ready(state(name).node);
    },
    stop,
  };

  try {
    for (const p of procs.values()) {
      mkdirSync(p.slot.dataDir, { recursive: true });
      writeClock(p, '+0');
      writeFileSync(p.log, '', { flag: 'a' });
    }
    ensureWatchdog();
    runFile();
    await Promise.all(
      [...procs.values()].map(async (p) => {
        await startDb(p);
        if (p.spec.sidecar) {
          p.sidecar = await launch(p, 'sidecar');
          runFile();
        }
      }),
    );
    emit(`started ${procs.size} local processes`);
    await waitReady(
      cluster,
      deployment,
      [...procs.values()],
      settings.readyTimeoutS * 1000,
      req.signal,
      () => stopped,
    );
    // A hook that names no sender (another version of the database?) would leave every cut undone.
    const shared = proxy.list().filter((r) => r.from === UNKNOWN).length;
    if (peers.identified && proxy.stats.identified === 0)
      no(
        'partition',
        `the target's identify hook named the sender of none of the connections to its ${shared} shared peer routes by the time the cluster was ready, so no partition could be cut (is this the database version it was written for?)`,
      );
    const first = cluster.nodes[0];
    const version =
      first && deployment.version ? await deployment.version(first).catch(() => undefined) : undefined;
    Object.assign(cluster.info, {
      runtime: 'local',
      blackhole: settings.blackhole,
      nodes: [...procs.values()].map((p) => ({ ...p.node, listens: p.slot.ports, pid: p.db?.pid })),
      proxy: {
        routes: proxy.list().map((r) => ({ from: r.from, to: r.to, address: r.address })),
        clients: 'every client connection goes through the proxy',
        peers: routedPerPair
          ? 'node-to-node traffic goes through per-pair proxy routes'
          : 'node-to-node traffic is direct (the target advertises one address per node)',
        partition: partitionNote ?? (faults.partition.supported ? '' : faults.partition.reason),
        latency: routedPerPair
          ? 'on all data a node sends (to clients and peers)'
          : 'on the data a node sends to clients only (its peers reach it directly)',
      },
      libfaketime: deployment.nodes.some(fakeClock) ? t.preload : null,
      ...deployment.info,
      ...(version ? { versions: { [deployment.nodes[0]?.role ?? 'database']: version } } : {}),
      startMs: Date.now() - t0,
    });
    emit(
      `cluster ready in ${Date.now() - t0} ms: ${cluster.nodes.map((n) => `${n.name}=${n.host}:${Object.values(n.ports).join('/')}`).join(' ')}`,
    );
    return cluster;
  } catch (e) {
    const tails = [...procs.values()]
      .map((p) => {
        let text = '';
        try {
          text = readFileSync(p.log, 'utf8');
        } catch {}
        return `--- ${p.spec.name} ---\n${text.split('\n').slice(-15).join('\n')}`;
      })
      .join('\n');
    await stop();
    const err = e as Error;
    err.message += `\nlast node log lines:\n${tails}`;
    throw err;
  }
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Gone already.
  }
}

/** Signals a child's whole process group (it leads its own: spawned detached). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid) signalPid(-child.pid, signal);
}

async function waitReady(
  cluster: Cluster,
  deployment: Deployment,
  procs: NodeProc[],
  timeoutMs: number,
  signal: AbortSignal | undefined,
  stopped: () => boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(procs.map((p) => p.spec.name));
  const clusterReady = () =>
    deployment.clusterReady?.(cluster.nodes).catch(() => false) ?? Promise.resolve(true);
  while (pending.size > 0 || !(await clusterReady())) {
    if (stopped()) throw new Error('cluster stopped while starting');
    if (signal?.aborted) throw new Error('start aborted');
    const dead = procs.find((p) => pending.has(p.spec.name) && !p.db);
    if (dead) throw new Error(`node ${dead.spec.name}'s database exited while starting`);
    if (Date.now() > deadline) {
      const which =
        pending.size > 0 ? `nodes not ready: ${[...pending].join(', ')}` : 'cluster-level check failed';
      throw new Error(`cluster not ready after ${timeoutMs} ms (${which})`);
    }
    await Promise.all(
      [...pending].map(async (name) => {
        const ok = await deployment.ready(nodeByName(cluster, name)).catch(() => false);
        if (ok) pending.delete(name);
      }),
    );
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 50));
  }
}
