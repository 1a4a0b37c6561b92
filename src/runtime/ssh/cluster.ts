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
import type { AllocateRequest, NodeSlot, Placement, Support } from '../runtime.js';
import { type Connection, type ConnectionPool, type HostSpec, hostLabel, q } from './conn.js';
import { faultTable, type HostFacts, probeHosts } from './probe.js';
import {
  chainName,
  killScript,
  SUPERVISOR_SCRIPT,
  signalScript,
  startScript,
  stateScript,
  TEARDOWN_SCRIPT,
  TETHER_SCRIPT,
} from './scripts.js';

export interface SshSettings {
  remoteDir: string;
  /** '' or 'sudo -n': the prefix of privileged commands. */
  sudo: string;
  commandTimeoutMs: number;
  readyTimeoutMs: number;
}

export interface HostSlot {
  spec: HostSpec;
  /** Its IPv4 address (what peers and partitions name). */
  address: string;
}

interface NodeState {
  spec: NodeSpec;
  slot: NodeSlot;
  host: HostSlot;
  conn: Connection;
  dir: string;
  node: ClusterNode;
  shares: Map<string, string>;
  paused: boolean;
  killed: boolean;
  drops: string[];
  lossPercent?: number;
  delay?: { delayMs: number; jitterMs: number };
  netemDev?: string;
  skewed: boolean;
  strobe?: NodeJS.Timeout;
  strobeEnd?: NodeJS.Timeout;
  tether?: { close(): void; exited: Promise<void> };
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

async function startSsh(
  req: AllocateRequest,
  settings: SshSettings,
  pool: ConnectionPool,
  live: Set<{ stop(): Promise<void> }>,
  deployment: Deployment,
  hosts: readonly HostSlot[],
  conns: readonly Connection[],
  facts: HostFacts[],
  placed: { slot: NodeSlot; shares: Map<string, string>; dir: string }[],
): Promise<Cluster> {
  const emit = req.onEvent ?? (() => {});
  const t0 = Date.now();
  const S = settings.sudo ? `${settings.sudo} ` : '';
  const chain = chainName(req.runId, sha);
  const timeoutMs = settings.commandTimeoutMs;

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
  const all = () => [...states.values()];
  const where = (st: NodeState) => `node ${st.spec.name}`;
  /** Runs fn on every node (all of them, whatever fails); one error naming each that failed. */
  const onEach = async (what: string, nodes: NodeState[], fn: (st: NodeState) => Promise<unknown>) => {
    const results = await Promise.allSettled(nodes.map(fn));
    const failed = results.flatMap((r, i) =>
      r.status === 'rejected' ? [`${where(nodes[i]!)}: ${(r.reason as Error).message}`] : [],
    );
    if (failed.length > 0) throw new Error(`${what}: ${failed.join('; ')}`);
  };

  // Fault support: every host's (probe), then the target's.
  const faults: Record<FaultKind, Support> = faultTable(facts, settings.sudo !== '');
  for (const [f, reason] of Object.entries(deployment.unsupported ?? {}))
    if (faults[f as FaultKind].supported) faults[f as FaultKind] = { supported: false, reason };
  const requireFault = (fault: FaultKind) => {
    const f = faults[fault];
    if (!f.supported) throw new UnsupportedFaultError(fault, f.reason);
  };
  const iptables = facts.every((f) => f.iptables === 'ok' && f.priv);

  let stopped = false;
  let stopping: Promise<void> | undefined;

  const state = (name: string): NodeState => {
    const st = states.get(name);
    if (!st) nodeByName(cluster, name);
    return st!;
  };
  const run = (st: NodeState, command: string, what: string, ms = timeoutMs) =>
    st.conn.run(command, { what, timeoutMs: ms });

  /** The node's chain: SSH exempt, then its partition drops, then its packet loss. */
  const applyRules = async (st: NodeState) => {
    if (!iptables) return;
    const ipt = `${S}iptables -w`;
    const lines = [
      `${ipt} -F ${chain}`,
      `${ipt} -A ${chain} -p tcp --dport ${st.host.spec.port} -j RETURN`,
      ...st.drops.map((a) => `${ipt} -A ${chain} -s ${a} -j DROP`),
    ];
    if (st.lossPercent !== undefined && st.lossPercent > 0) {
      const p = Math.max(0, Math.min(100, st.lossPercent)) / 100;
      lines.push(`${ipt} -A ${chain} -m statistic --mode random --probability ${p} -j DROP`);
    }
    await run(st, lines.join(' && '), `setting ${chain}'s rules`);
  };
  const applyNetem = async (st: NodeState) => {
    if (!st.delay || st.delay.delayMs <= 0) {
      if (st.netemDev) {
        await run(
          st,
          `${S}tc qdisc del dev ${q(st.netemDev)} root 2>/dev/null; rm -f ${st.dir}/ctl/netem; true`,
          'removing netem',
        );
        st.netemDev = undefined;
      }
      return;
    }
    if (!st.netemDev) {
      // The device toward the first peer (or toward the harness, for a single node).
      const peer = all().find((o) => o !== st)?.host.address ?? st.host.address;
      const out = await run(st, `ip -o route get ${peer}`, `finding the device toward ${peer}`);
      const dev = /\bdev\s+(\S+)/.exec(out)?.[1];
      if (!dev) throw new Error(`${where(st)}: no device toward ${peer} in: ${out.trim()}`);
      st.netemDev = dev;
    }
    const jitter = st.delay.jitterMs ? ` ${st.delay.jitterMs}ms` : '';
    await run(
      st,
      `echo ${q(st.netemDev)} > ${st.dir}/ctl/netem && ${S}tc qdisc replace dev ${q(st.netemDev)} root netem delay ${st.delay.delayMs}ms${jitter}`,
      'setting netem',
    );
  };

  // The harness's clock is the truth a host is reset to.
  const setClock = (st: NodeState, offsetS: number) =>
    run(
      st,
      `${S}date -u -s @${((Date.now() + offsetS * 1000) / 1000).toFixed(3)} >/dev/null`,
      'setting the clock',
    );
  const stopStrobe = (st: NodeState) => {
    clearTimeout(st.strobe);
    clearTimeout(st.strobeEnd);
    st.strobe = undefined;
    st.strobeEnd = undefined;
  };
  const resetClock = async (st: NodeState) => {
    stopStrobe(st);
    if (!st.skewed) return;
    await setClock(st, 0);
    st.skewed = false;
  };

  const startDb = async (st: NodeState) => {
    await run(st, startScript(st.dir), 'starting the database', Math.max(timeoutMs, 8000));
    st.killed = false;
    if (st.paused) await run(st, signalScript(st.dir, 'STOP'), 'pausing the restarted database');
  };

  const fetchLogs = async () => {
    mkdirSync(req.logDir, { recursive: true });
    await Promise.allSettled(
      all().map(async (st) => {
        let text: string;
        try {
          text = await st.conn.readFile(`${st.dir}/node.log`, timeoutMs);
        } catch (e) {
          text = `[faultline] could not fetch this node's log: ${(e as Error).message}\n`;
        }
        writeFileSync(`${req.logDir}/${st.spec.name}.log`, text);
      }),
    );
  };

  const stop = async (): Promise<void> => {
    stopping ??= (async () => {
      stopped = true;
      for (const st of all()) stopStrobe(st);
      const errors: string[] = [];
      await fetchLogs();
      await Promise.all(
        all().map(async (st) => {
          try {
            await resetClock(st);
          } catch (e) {
            errors.push(`${where(st)}: clock not reset: ${(e as Error).message}`);
          }
          try {
            // Absent: the tether did it already (the connection it rode on ended).
            await run(
              st,
              `if [ -e ${st.dir}/teardown.sh ]; then sh ${st.dir}/teardown.sh ${st.dir}; fi`,
              'teardown',
              Math.max(timeoutMs, 15_000),
            );
          } catch (e) {
            errors.push(
              `${where(st)}: ${(e as Error).message} (its tether tears it down when the connection closes; else \`faultline clean\` with the same hosts)`,
            );
          }
          st.tether?.close();
        }),
      );
      // The tethers end once their stdin closes (teardown already done: a no-op).
      await Promise.race([
        Promise.all(all().map((st) => st.tether?.exited)),
        new Promise((r) => setTimeout(r, 3000)),
      ]);
      pool.closeAll();
      live.delete(holder);
      if (errors.length > 0) throw new Error(`run ${req.runId}: stop: ${errors.join('; ')}`);
    })();
    return stopping;
  };
  const holder = { stop };
  live.add(holder);

  const cluster: Cluster = {
    runId: req.runId,
    get nodes() {
      return all().map((st) => st.node);
    },
    faults,
    info: {},
    async start(name) {
      requireFault('kill');
      await startDb(state(name));
    },
    async kill(name) {
      requireFault('kill');
      const st = state(name);
      st.killed = true;
      await run(st, killScript(st.dir), 'killing the database', Math.max(timeoutMs, 8000));
    },
    async pause(name) {
      requireFault('pause');
      const st = state(name);
      st.paused = true;
      await run(st, signalScript(st.dir, 'STOP'), 'pausing');
    },
    async resume(name) {
      const st = state(name);
      if (!st.paused) return;
      await run(st, signalScript(st.dir, 'CONT'), 'resuming');
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
      await onEach('partition', all(), applyRules);
    },
    async heal() {
      for (const st of all()) {
        st.drops = [];
        st.lossPercent = undefined;
        st.delay = undefined;
      }
      await onEach('heal', all(), async (st) => {
        await applyRules(st);
        await applyNetem(st);
      });
    },
    async clock(name: string, spec: ClockSpec) {
      requireFault('clock');
      const st = state(name);
      stopStrobe(st);
      if (spec.kind === 'reset') {
        await setClock(st, 0);
        st.skewed = false;
      } else if (spec.kind === 'offset') {
        st.skewed = true;
        await setClock(st, spec.seconds);
      } else {
        let on = false;
        st.skewed = true;
        const flip = () => {
          if (stopped || !st.skewed) return;
          on = !on;
          setClock(st, on ? spec.seconds : 0).catch((e) => emit(`${where(st)}: clock strobe: ${e.message}`));
          st.strobe = setTimeout(flip, spec.periodMs);
        };
        flip();
        st.strobeEnd = setTimeout(() => {
          stopStrobe(st);
          if (!stopped)
            resetClock(st).catch((e) => emit(`${where(st)}: clock reset after strobe: ${e.message}`));
        }, spec.durationMs);
      }
    },
    async net(name: string, spec: NetSpec) {
      const st = state(name);
      if (spec.lossPercent !== undefined) requireFault('loss');
      if (spec.delayMs !== undefined) requireFault('latency');
      if (spec.lossPercent !== undefined) {
        st.lossPercent = spec.lossPercent;
        await applyRules(st);
      }
      if (spec.delayMs !== undefined) {
        st.delay = { delayMs: spec.delayMs, jitterMs: spec.jitterMs ?? 0 };
        await applyNetem(st);
      }
    },
    async healAll() {
      const errors: string[] = [];
      const attempt = async (what: string, nodes: NodeState[], fn: (st: NodeState) => Promise<unknown>) => {
        try {
          await onEach(what, nodes, fn);
        } catch (e) {
          errors.push((e as Error).message);
        }
      };
      await attempt('resume', all(), async (st) => {
        if (st.paused) await cluster.resume(st.spec.name);
      });
      try {
        await cluster.heal();
      } catch (e) {
        errors.push((e as Error).message);
      }
      await attempt('clock reset', all(), resetClock);
      if (!stopped)
        await attempt('restart', all(), async (st) => {
          const s = await run(st, stateScript(st.dir), 'reading the database state');
          if (!/running/.test(s)) await startDb(st);
        });
      if (errors.length > 0) throw new Error(`healAll: ${errors.join('; ')}`);
    },
    async logs(name) {
      const st = state(name);
      return st.conn.readFile(`${st.dir}/node.log`, timeoutMs);
    },
    async ready(name) {
      return deployment.ready(state(name).node);
    },
    stop,
  };

  try {
    // The program each node runs must be on its host.
    const lacking: string[] = [];
    await onEach('checking the programs', all(), async (st) => {
      const prog = st.spec.command[0];
      if (!prog) throw new Error('the deployment gives no command');
      const test = prog.includes('/') ? `[ -x ${q(prog)} ]` : `command -v ${q(prog)} >/dev/null`;
      const r = await st.conn.exec(test, { timeoutMs, what: `looking for ${prog}` });
      if (r.code !== 0) lacking.push(`${st.spec.name} (${st.conn.label}) lacks ${prog}`);
    });
    if (lacking.length > 0)
      throw new Error(`the target's program is not on every host: ${lacking.sort().join('; ')}`);

    await onEach('preparing the hosts', all(), async (st) => {
      await run(
        st,
        `mkdir -p ${st.dir}/ctl ${st.dir}/data ${st.dir}/share && touch ${st.dir}/ctl/stopped`,
        'mkdir',
      );
      const env = `SUDO=${q(settings.sudo)}\nCHAIN=${iptables ? chain : "''"}\nHOST=${q(st.conn.label)}\n`;
      await Promise.all([
        st.conn.writeFile(`${st.dir}/supervisor.sh`, SUPERVISOR_SCRIPT, 0o755, timeoutMs),
        st.conn.writeFile(`${st.dir}/teardown.sh`, TEARDOWN_SCRIPT, 0o755, timeoutMs),
        st.conn.writeFile(`${st.dir}/tether.sh`, TETHER_SCRIPT, 0o755, timeoutMs),
        st.conn.writeFile(`${st.dir}/env`, env, 0o644, timeoutMs),
      ]);
      // The tether first: from here on, a harness that dies leaves nothing running on the host.
      const tether = await st.conn.hold(`sh ${st.dir}/tether.sh ${st.dir} >/dev/null 2>&1`, timeoutMs);
      st.tether = tether;
      void tether.exited.then(() => {
        if (!stopped)
          emit(
            `${where(st)}: the SSH connection to ${st.conn.label} ended, and with it the node's tether: the host has torn the node down`,
          );
      });
      for (const [local, remote] of st.shares) await st.conn.upload(local, remote);
      if (iptables)
        await run(
          st,
          `${S}iptables -w -N ${chain} 2>/dev/null; ${S}iptables -w -F ${chain} && ${S}iptables -w -A ${chain} -p tcp --dport ${st.host.spec.port} -j RETURN && { ${S}iptables -w -C INPUT -j ${chain} 2>/dev/null || ${S}iptables -w -I INPUT 1 -j ${chain}; }`,
          `creating the iptables chain ${chain}`,
        );
    });

    await onEach('starting the supervisors', all(), async (st) => {
      const env = {
        ...st.spec.env,
        FAULTLINE_NODE_DIR: st.dir,
        ...(st.spec.sidecar ? { FAULTLINE_SIDECAR: st.spec.sidecar } : {}),
      };
      const assigns = Object.entries(env).map(([k, v]) => `${k}=${q(v)}`);
      const line = [...st.spec.command].map(q).join(' ');
      await run(
        st,
        // Only the supervisor goes to the background, with no descriptor of this session open.
        `cd ${st.dir}/data || exit 1; rm -f ../ctl/stopped; env ${assigns.join(' ')} setsid sh ${st.dir}/supervisor.sh ${st.dir} ${line} >> ${st.dir}/node.log 2>&1 < /dev/null & exit 0`,
        'starting the supervisor',
      );
    });
    emit(
      `started ${states.size} nodes over SSH: ${all()
        .map((st) => `${st.spec.name}=${st.conn.label}`)
        .join(' ')}`,
    );

    await waitReady(
      cluster,
      deployment,
      all(),
      settings.readyTimeoutMs,
      req.signal,
      () => stopped,
      timeoutMs,
    );
    const first = cluster.nodes[0];
    const version =
      first && deployment.version ? await deployment.version(first).catch(() => undefined) : undefined;
    Object.assign(cluster.info, {
      runtime: 'ssh',
      nodes: all().map((st) => ({
        ...st.node,
        ssh: st.conn.label,
        hostKey: st.conn.hostKey,
        dir: st.dir,
        kernel: facts.find((f) => f.label === st.conn.label)?.kernel,
      })),
      iptablesChain: iptables ? chain : null,
      sudo: settings.sudo !== '',
      ...deployment.info,
      ...(version ? { versions: { [deployment.nodes[0]?.role ?? 'database']: version } } : {}),
      startMs: Date.now() - t0,
    });
    emit(
      `cluster ready in ${Date.now() - t0} ms: ${cluster.nodes.map((n) => `${n.name}=${n.host}:${Object.values(n.ports).join('/')}`).join(' ')}`,
    );
    return cluster;
  } catch (e) {
    const tails = await Promise.all(
      all().map(async (st) => {
        const text = await st.conn.readFile(`${st.dir}/node.log`, 5000).catch(() => '');
        return `--- ${st.spec.name} ---\n${text.split('\n').slice(-15).join('\n')}`;
      }),
    );
    await stop().catch(() => {});
    const err = e as Error;
    err.message += `\nlast node log lines:\n${tails.join('\n')}`;
    throw err;
  }
}

async function waitReady(
  cluster: Cluster,
  deployment: Deployment,
  nodes: NodeState[],
  timeoutMs: number,
  signal: AbortSignal | undefined,
  stopped: () => boolean,
  commandTimeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(nodes.map((st) => st.spec.name));
  const clusterReady = () =>
    deployment.clusterReady?.(cluster.nodes).catch(() => false) ?? Promise.resolve(true);
  let lastStateCheck = 0;
  while (pending.size > 0 || !(await clusterReady())) {
    if (stopped()) throw new Error('cluster stopped while starting');
    if (signal?.aborted) throw new Error('start aborted');
    if (Date.now() > deadline) {
      const which =
        pending.size > 0 ? `nodes not ready: ${[...pending].join(', ')}` : 'cluster-level check failed';
      throw new Error(`cluster not ready after ${timeoutMs} ms (${which})`);
    }
    if (Date.now() - lastStateCheck > 1000) {
      lastStateCheck = Date.now();
      for (const st of nodes.filter((n) => pending.has(n.spec.name))) {
        const s = await st.conn.run(stateScript(st.dir), { timeoutMs: commandTimeoutMs, what: 'state' });
        if (/stopped/.test(s) && !/running/.test(s))
          throw new Error(`node ${st.spec.name}'s database exited while starting`);
      }
    }
    await Promise.all(
      [...pending].map(async (name) => {
        const ok = await deployment.ready(nodeByName(cluster, name)).catch(() => false);
        if (ok) pending.delete(name);
      }),
    );
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 100));
  }
}
