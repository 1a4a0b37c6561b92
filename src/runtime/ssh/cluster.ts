/**
 * The SSH runtime's placement and cluster: one node per host, driven over one SSH connection
 * per host (conn.ts), everything the node needs in `<remoteDir>/<run>/<node>/` (scripts.ts).
 *
 *   start      the node's directory, scripts and shared directories uploaded over SFTP; the
 *              target's program checked on every host (which host lacks it, by name); the
 *              run's iptables chain hooked into INPUT; a tether held open per host (the harness
 *              gone, the host tears its node down); the supervisor started detached;
 *   kill/start SIGKILL to the database's process group / the supervisor runs it again (data kept);
 *   pause      SIGSTOP/SIGCONT to the database's (and sidecar's) process group;
 *   partition  DROP rules per peer address in the chain `faultline-<run>` (heal flushes only
 *   and loss   that chain; SSH's own port is exempt so faultline can always heal);
 *   latency    tc netem on the device toward the peers, where the kernel has it;
 *   clock      `date -s` on the host (its real clock), reset to the harness's time at heal;
 *              refused when hosts share a kernel (probe.ts);
 *   stop       logs fetched into `<logDir>/<node>.log`, then each host's teardown.sh.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import type { Deployment } from '../../targets/types.js';
import {
  type Cluster,
  type FaultKind,
  type Grudge,
  type NetSpec,
  nodeByName,
  UnsupportedFaultError,
} from '../cluster.js';
import type { AllocateRequest, NodeSlot, Placement, Support } from '../runtime.js';
import { type Connection, type ConnectionPool, hostLabel } from './conn.js';
import {
  applyNetem,
  applyRules,
  clockFault,
  type HostCtx,
  type HostSlot,
  type NodeState,
  onEach,
  resetClock,
  run,
  startDb,
  stopStrobe,
  where,
} from './node.js';
import { faultTable, type HostFacts, probeHosts } from './probe.js';
import { chainName, killScript, signalScript, stateScript } from './scripts.js';
import { checkPrograms, logTails, prepareHosts, startSupervisors, waitReady } from './setup.js';

export type { HostSlot } from './node.js';

export interface SshSettings {
  remoteDir: string;
  /** '' or 'sudo -n': the prefix of privileged commands. */
  sudo: string;
  commandTimeoutMs: number;
  readyTimeoutMs: number;
}

const sha = (s: string) => createHash('sha1').update(s).digest('hex');

/** Reserves one host per node and checks that every host answers. */
export async function allocateSsh(
  req: AllocateRequest,
  hosts: readonly HostSlot[],
  settings: SshSettings,
  pool: ConnectionPool,
  live: Set<{ stop(): Promise<void> }>,
): Promise<Placement> {
  if (hosts.length < req.nodes)
    throw new Error(
      `ssh runtime: ${req.nodes} nodes need ${req.nodes} hosts; ${hosts.length} given (${hosts.map((h) => hostLabel(h.spec)).join(', ') || 'none'})`,
    );
  const chosen = hosts.slice(0, req.nodes);
  const conns = chosen.map((h) => pool.get(h.spec));
  const facts = await probeHosts(conns, settings.sudo, settings.commandTimeoutMs);
  const down = facts.filter((f) => f.error);
  if (down.length > 0) {
    pool.closeAll();
    throw new Error(`ssh runtime: ${down.map((f) => f.error).join('; ')}`);
  }
  const runDir = `${settings.remoteDir}/${req.runId}`;
  const states: { slot: NodeSlot; shares: Map<string, string>; dir: string }[] = chosen.map((h, i) => {
    const name = `n${i + 1}`;
    const dir = `${runDir}/${name}`;
    const shares = new Map<string, string>();
    const slot: NodeSlot = {
      name,
      host: h.address,
      ports: { ...req.ports },
      dataDir: `${dir}/data`,
      share(hostPath: string) {
        const abs = resolvePath(hostPath);
        let remote = shares.get(abs);
        if (!remote) {
          remote = `${dir}/share/${shares.size}`;
          shares.set(abs, remote);
        }
        return remote;
      },
    };
    return { slot, shares, dir };
  });
  let started = false;
  return {
    slots: states.map((s) => s.slot),
    info: {
      runtime: 'ssh',
      hosts: chosen.map((h, i) => ({ node: `n${i + 1}`, ssh: hostLabel(h.spec), address: h.address })),
      remoteDir: runDir,
    },
    start(deployment) {
      if (started) throw new Error(`run ${req.runId}: start was called twice`);
      started = true;
      return startSsh(req, settings, pool, live, deployment, chosen, conns, facts, states);
    },
    async release() {
      if (!started) pool.closeAll();
    },
  };
}

interface Placed {
  slot: NodeSlot;
  shares: Map<string, string>;
  dir: string;
}

function nodeStates(
  deployment: Deployment,
  placed: Placed[],
  hosts: readonly HostSlot[],
  conns: readonly Connection[],
) {
  const states = new Map<string, NodeState>();
  for (const spec of deployment.nodes) {
    const i = placed.findIndex((p) => p.slot.name === spec.name);
    if (i < 0) throw new Error(`deployment names node ${spec.name}, which has no slot`);
    const p = placed[i]!;
    states.set(spec.name, {
      spec,
      slot: p.slot,
      host: hosts[i]!,
      conn: conns[i]!,
      dir: p.dir,
      shares: p.shares,
      node: { name: spec.name, host: p.slot.host, ports: { ...p.slot.ports }, role: spec.role },
      paused: false,
      killed: false,
      drops: [],
      skewed: false,
    });
  }
  return states;
}

/** Logs fetched into `<logDir>/<node>.log` (a note in their place when a host cannot give them). */
async function fetchLogs(ctx: HostCtx, nodes: NodeState[], logDir: string): Promise<void> {
  mkdirSync(logDir, { recursive: true });
  await Promise.allSettled(
    nodes.map(async (st) => {
      let text: string;
      try {
        text = await st.conn.readFile(`${st.dir}/node.log`, ctx.timeoutMs);
      } catch (e) {
        text = `[faultline] could not fetch this node's log: ${(e as Error).message}\n`;
      }
      writeFileSync(`${logDir}/${st.spec.name}.log`, text);
    }),
  );
}

/** One node's teardown: its clock reset, its teardown script, its tether let go. Errors are collected. */
async function tearDown(ctx: HostCtx, st: NodeState, errors: string[]): Promise<void> {
  try {
    await resetClock(ctx, st);
  } catch (e) {
    errors.push(`${where(st)}: clock not reset: ${(e as Error).message}`);
  }
  try {
    // Absent: the tether did it already (the connection it rode on ended).
    await run(
      ctx,
      st,
      `if [ -e ${st.dir}/teardown.sh ]; then sh ${st.dir}/teardown.sh ${st.dir}; fi`,
      'teardown',
      Math.max(ctx.timeoutMs, 15_000),
    );
  } catch (e) {
    errors.push(
      `${where(st)}: ${(e as Error).message} (its tether tears it down when the connection closes; else \`faultline clean\` with the same hosts)`,
    );
  }
  st.tether?.close();
}

/** Stops the run once (later calls share the first): logs, then every node's teardown. */
function stopper(
  ctx: HostCtx,
  nodes: () => NodeState[],
  o: { runId: string; logDir: string; onStopped: () => void },
) {
  let stopping: Promise<void> | undefined;
  return (): Promise<void> => {
    stopping ??= (async () => {
      for (const st of nodes()) stopStrobe(st);
      const errors: string[] = [];
      await fetchLogs(ctx, nodes(), o.logDir);
      await Promise.all(nodes().map((st) => tearDown(ctx, st, errors)));
      // The tethers end once their stdin closes (teardown already done: a no-op).
      await Promise.race([
        Promise.all(nodes().map((st) => st.tether?.exited)),
        new Promise((r) => setTimeout(r, 3000).unref()),
      ]);
      o.onStopped();
      if (errors.length > 0) throw new Error(`run ${o.runId}: stop: ${errors.join('; ')}`);
    })();
    return stopping;
  };
}

/** The run's fault table: every host's (probe), then what the target refuses. */
function faultsOf(facts: HostFacts[], sudo: boolean, deployment: Deployment): Record<FaultKind, Support> {
  const faults: Record<FaultKind, Support> = faultTable(facts, sudo);
  for (const [f, reason] of Object.entries(deployment.unsupported ?? {}))
    if (faults[f as FaultKind].supported) faults[f as FaultKind] = { supported: false, reason };
  return faults;
}

interface Parts {
  ctx: HostCtx;
  states: Map<string, NodeState>;
  faults: Record<FaultKind, Support>;
  deployment: Deployment;
  runId: string;
  stop: () => Promise<void>;
}

/** The Cluster over the nodes' states: each fault a command or two on the node's host. */
function sshCluster({ ctx, states, faults, deployment, runId, stop }: Parts): Cluster {
  const all = () => [...states.values()];
  const requireFault = (fault: FaultKind) => {
    const f = faults[fault];
    if (!f.supported) throw new UnsupportedFaultError(fault, f.reason);
  };
  const state = (name: string): NodeState => {
    const st = states.get(name);
    if (!st) nodeByName(cluster, name);
    return st!;
  };
  const cluster: Cluster = {
    runId,
    get nodes() {
      return all().map((st) => st.node);
    },
    faults,
    info: {},
    async start(name) {
      requireFault('kill');
      await startDb(ctx, state(name));
    },
    async kill(name) {
      requireFault('kill');
      const st = state(name);
      st.killed = true;
      await run(ctx, st, killScript(st.dir), 'killing the database', Math.max(ctx.timeoutMs, 8000));
    },
    async pause(name) {
      requireFault('pause');
      const st = state(name);
      st.paused = true;
      await run(ctx, st, signalScript(st.dir, 'STOP'), 'pausing');
    },
    async resume(name) {
      const st = state(name);
      if (!st.paused) return;
      await run(ctx, st, signalScript(st.dir, 'CONT'), 'resuming');
      st.paused = false;
    },
    async partition(grudge: Grudge) {
      requireFault('partition');
      const next = new Map<NodeState, string[]>();
      for (const [n, drops] of Object.entries(grudge))
        next.set(
          state(n),
          drops.map((d) => state(d).host.address),
        );
      for (const st of all()) st.drops = next.get(st) ?? [];
      await onEach('partition', all(), (st) => applyRules(ctx, st));
    },
    async heal() {
      for (const st of all()) {
        st.drops = [];
        st.lossPercent = undefined;
        st.delay = undefined;
      }
      await onEach('heal', all(), async (st) => {
        await applyRules(ctx, st);
        await applyNetem(ctx, st, all());
      });
    },
    async clock(name, spec) {
      requireFault('clock');
      await clockFault(ctx, state(name), spec);
    },
    async net(name: string, spec: NetSpec) {
      const st = state(name);
      if (spec.lossPercent !== undefined) requireFault('loss');
      if (spec.delayMs !== undefined) requireFault('latency');
      if (spec.lossPercent !== undefined) {
        st.lossPercent = spec.lossPercent;
        await applyRules(ctx, st);
      }
      if (spec.delayMs !== undefined) {
        st.delay = { delayMs: spec.delayMs, jitterMs: spec.jitterMs ?? 0 };
        await applyNetem(ctx, st, all());
      }
    },
    healAll: () => healAll(ctx, cluster, all()),
    async logs(name) {
      const st = state(name);
      return st.conn.readFile(`${st.dir}/node.log`, ctx.timeoutMs);
    },
    async ready(name) {
      return deployment.ready(state(name).node);
    },
    stop,
  };
  return cluster;
}

/** Every fault ended: resumed, healed, clocks reset, stopped databases started again. */
async function healAll(ctx: HostCtx, cluster: Cluster, nodes: NodeState[]): Promise<void> {
  const errors: string[] = [];
  const attempt = async (what: string, fn: (st: NodeState) => Promise<unknown>) => {
    try {
      await onEach(what, nodes, fn);
    } catch (e) {
      errors.push((e as Error).message);
    }
  };
  await attempt('resume', async (st) => {
    if (st.paused) await cluster.resume(st.spec.name);
  });
  try {
    await cluster.heal();
  } catch (e) {
    errors.push((e as Error).message);
  }
  await attempt('clock reset', (st) => resetClock(ctx, st));
  if (!ctx.stopped())
    await attempt('restart', async (st) => {
      const s = await run(ctx, st, stateScript(st.dir), 'reading the database state');
      if (!/running/.test(s)) await startDb(ctx, st);
    });
  if (errors.length > 0) throw new Error(`healAll: ${errors.join('; ')}`);
}

async function startSsh(
  req: AllocateRequest,
  settings: SshSettings,
  pool: ConnectionPool,
  live: Set<{ stop(): Promise<void> }>,
  deployment: Deployment,
  hosts: readonly HostSlot[],
  conns: readonly Connection[],
  facts: HostFacts[],
  placed: Placed[],
): Promise<Cluster> {
  const t0 = Date.now();
  let stopped = false;
  const ctx: HostCtx = {
    S: settings.sudo ? `${settings.sudo} ` : '',
    chain: chainName(req.runId, sha),
    iptables: facts.every((f) => f.iptables === 'ok' && f.priv),
    timeoutMs: settings.commandTimeoutMs,
    emit: req.onEvent ?? (() => {}),
    stopped: () => stopped,
  };
  const states = nodeStates(deployment, placed, hosts, conns);
  const all = () => [...states.values()];
  const teardown = stopper(ctx, all, {
    runId: req.runId,
    logDir: req.logDir,
    onStopped: () => {
      pool.closeAll();
      live.delete(holder);
    },
  });
  const stop = () => {
    stopped = true;
    return teardown();
  };
  const holder = { stop };
  live.add(holder);
  const faults = faultsOf(facts, settings.sudo !== '', deployment);
  const cluster = sshCluster({ ctx, states, faults, deployment, runId: req.runId, stop });
  try {
    await checkPrograms(ctx, all());
    await prepareHosts(ctx, all(), settings.sudo);
    await startSupervisors(ctx, all());
    ctx.emit(
      `started ${states.size} nodes over SSH: ${all()
        .map((st) => `${st.spec.name}=${st.conn.label}`)
        .join(' ')}`,
    );
    await waitReady(ctx, cluster, deployment, all(), settings.readyTimeoutMs, req.signal);
    await describe(cluster, deployment, all(), facts, ctx, settings, t0);
    return cluster;
  } catch (e) {
    const tails = await logTails(all());
    await stop().catch(() => {});
    const err = e as Error;
    err.message += `\nlast node log lines:\n${tails}`;
    throw err;
  }
}

/** What the run's meta records of the cluster, and the "ready" line. */
async function describe(
  cluster: Cluster,
  deployment: Deployment,
  nodes: NodeState[],
  facts: HostFacts[],
  ctx: HostCtx,
  settings: SshSettings,
  t0: number,
): Promise<void> {
  const first = cluster.nodes[0];
  const version =
    first && deployment.version ? await deployment.version(first).catch(() => undefined) : undefined;
  Object.assign(cluster.info, {
    runtime: 'ssh',
    nodes: nodes.map((st) => ({
      ...st.node,
      ssh: st.conn.label,
      hostKey: st.conn.hostKey,
      dir: st.dir,
      kernel: facts.find((f) => f.label === st.conn.label)?.kernel,
    })),
    iptablesChain: ctx.iptables ? ctx.chain : null,
    sudo: settings.sudo !== '',
    ...deployment.info,
    ...(version ? { versions: { [deployment.nodes[0]?.role ?? 'database']: version } } : {}),
    startMs: Date.now() - t0,
  });
  ctx.emit(
    `cluster ready in ${Date.now() - t0} ms: ${cluster.nodes.map((n) => `${n.name}=${n.host}:${Object.values(n.ports).join('/')}`).join(' ')}`,
  );
}
