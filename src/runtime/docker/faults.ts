/**
 * The Docker runtime's network and clock faults, and what the host lets it do:
 *   partition, loss  iptables (one variant: iptables-nft) inside the containers, which have
 *                    NET_ADMIN only;
 *   latency          tc netem, where the kernel has it (probed once the nodes run);
 *   clock            libfaketime under the database, reading an offset file this module
 *                    rewrites; programs that link jemalloc run with faultline's stand-in
 *                    (docker/jemalloc-shim.c), since jemalloc hangs under libfaketime.
 * Process faults (kill/start, pause/resume) act on the containers and stay in cluster.ts.
 */
import { existsSync } from 'node:fs';
import type Docker from 'dockerode';
import type { NodeSpec } from '../../targets/types.js';
import {
  type ClockSpec,
  type ClusterNode,
  FAULT_KINDS,
  type FaultKind,
  type Grudge,
  type NetemSpec,
  UnsupportedFaultError,
} from '../cluster.js';
import { execIn, sh } from './exec.js';
import { CONTROL_DIR } from './supervisor.js';

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
export const IPTABLES = '/usr/sbin/iptables-nft';

export type FaultTable = Record<FaultKind, { supported: true } | { supported: false; reason: string }>;

/** What the host provides for clock faults. */
export interface HostFaultTools {
  /** libfaketime's library. */
  preload?: string;
  /** The jemalloc stand-in. */
  shim?: string;
}

export function hostFaultTools(): HostFaultTools {
  return {
    preload: FAKETIME_LIB_CANDIDATES.find((p) => existsSync(p)),
    shim: [process.env.FAULTLINE_JEMALLOC_SHIM, ...JEMALLOC_SHIM_CANDIDATES].find((p) => p && existsSync(p)),
  };
}

/**
 * The environment (read by the supervisor) and binds that run a node's database under
 * libfaketime, on the faultline-base image. None when the node does not ask for it, or when a
 * jemalloc program would hang for want of the stand-in (the clock fault is then refused).
 */
export function fakeClockSetup(spec: NodeSpec, tools: HostFaultTools): { env: string[]; binds: string[] } {
  const env: string[] = [];
  const binds: string[] = [];
  if (spec.fakeClock && tools.preload && (!spec.jemallocShim || tools.shim)) {
    env.push(`FAULTLINE_PRELOAD=${tools.preload}`);
    if (spec.jemallocShim) {
      env.push(`FAULTLINE_LIBPATH=${SHIM_DIR_IN_CONTAINER}`);
      binds.push(`${tools.shim}:${SHIM_DIR_IN_CONTAINER}/libjemalloc.so.2:ro`);
    }
  }
  return { env, binds };
}

/**
 * Fills `faults`: the runtime's abilities, then the target's exclusions. Returns the function
 * that rules a fault out, for probes made once the nodes run (netem).
 */
export function initFaultSupport(
  faults: FaultTable,
  o: {
    hostUsr: boolean;
    image: string;
    tools: HostFaultTools;
    deployment: { nodes: readonly NodeSpec[]; unsupported: Partial<Record<FaultKind, string>> };
    targetName: string;
  },
): (f: FaultKind, reason: string) => void {
  for (const f of FAULT_KINDS) faults[f] = { supported: true };
  const no = (f: FaultKind, reason: string) => {
    if (faults[f].supported) faults[f] = { supported: false, reason };
  };
  if (!o.hostUsr) {
    for (const f of ['partition', 'loss', 'latency', 'clock'] as const) {
      no(
        f,
        `needs the faultline-base image (iptables, tc, libfaketime from the host); image ${o.image} runs as is`,
      );
    }
  }
  if (!existsSync(IPTABLES)) {
    no('partition', `${IPTABLES} is not installed on the host (apt-get install iptables)`);
    no('loss', `${IPTABLES} is not installed on the host (apt-get install iptables)`);
  }
  if (!o.tools.preload) no('clock', 'libfaketime is not installed on the host (apt-get install libfaketime)');
  if (!o.tools.shim && o.deployment.nodes.some((n) => n.fakeClock && n.jemallocShim)) {
    no(
      'clock',
      `${o.targetName} links jemalloc, which hangs under libfaketime, and faultline's stand-in is not built (run scripts/setup-docker.sh; it needs gcc)`,
    );
  }
  for (const [f, reason] of Object.entries(o.deployment.unsupported)) no(f as FaultKind, reason);
  return no;
}

/** Rules latency out when the kernel has no netem (tried on one running container). */
export function probeLatency(
  container: Docker.Container,
  no: (f: FaultKind, reason: string) => void,
): Promise<void> {
  return execIn(
    container,
    sh('tc qdisc add dev eth0 root netem delay 1ms && tc qdisc del dev eth0 root'),
  ).then(
    (r) => {
      if (r.code !== 0) no('latency', `this kernel has no netem (tc said: ${r.output.trim()})`);
    },
    (e: Error) => no('latency', `netem probe failed: ${e.message}`),
  );
}

/** What the faults need of a node. */
export interface FaultNode {
  spec: NodeSpec;
  node: ClusterNode;
  container: Docker.Container;
  strobe?: NodeJS.Timeout;
  strobeEnd?: NodeJS.Timeout;
  skewed: boolean;
}

/** The network and clock faults of one cluster (its `partition`, `heal`, `clock`, `netem`). */
export function networkAndClockFaults(ctx: {
  faults: FaultTable;
  nodes: () => FaultNode[];
  state: (name: string) => FaultNode;
  destroyed: () => boolean;
}) {
  const { faults, state, destroyed } = ctx;
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
  const stopStrobe = (s: FaultNode) => {
    clearTimeout(s.strobe);
    clearTimeout(s.strobeEnd);
    s.strobe = undefined;
    s.strobeEnd = undefined;
  };
  return {
    requireFault,
    shell,
    stopStrobe,
    /** Back to real time on a node (strobe stopped). */
    async resetClock(s: FaultNode) {
      stopStrobe(s);
      if (faults.clock.supported && s.spec.fakeClock) await writeClock(s.node.name, '+0');
      s.skewed = false;
    },
    async partition(grudge: Grudge) {
      requireFault('partition');
      for (const n of Object.keys(grudge)) state(n);
      await Promise.all(
        ctx.nodes().map((s) => {
          const drops = (grudge[s.node.name] ?? []).map((peer) => state(peer).node.host);
          const rules = drops.map((ip) => `${IPTABLES} -A INPUT -s ${ip} -j DROP`);
          return shell(s.node.name, [`${IPTABLES} -F INPUT`, ...rules].join(' && '), 'partition');
        }),
      );
    },
    async heal() {
      if (!faults.partition.supported) return;
      await Promise.all(
        ctx.nodes().map(async (s) => {
          await shell(s.node.name, `${IPTABLES} -F INPUT`, 'heal');
          if (faults.latency.supported) {
            await execIn(s.container, sh('tc qdisc del dev eth0 root 2>/dev/null; true'));
          }
        }),
      );
    },
    async clock(name: string, spec: ClockSpec) {
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
          if (destroyed()) return;
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
    async netem(name: string, spec: NetemSpec) {
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
  };
}
