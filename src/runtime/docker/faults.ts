/**
 * The Docker runtime's network and clock faults, and what the host lets it do:
 *   partition, loss  iptables (one variant: iptables-nft) run in a sidecar container per node:
 *                    faultline-base with the host's /usr, NET_ADMIN only, in the node's network
 *                    namespace (`NetworkMode: container:<node>`). The node's image needs no
 *                    iptables, and a frozen (paused) node can still be healed;
 *   latency          tc netem in the same sidecar, where the kernel has netem (probed once per
 *                    process on a throwaway container); elsewhere faultline's TCP proxy as the
 *                    sidecar's main process (netns-proxy.ts), in front of the node's ports: a
 *                    slowed node's answers are delayed in its own proxy, what it sends on
 *                    connections it dialled in its peers' proxies, so its TCP traffic to
 *                    clients and peers is delayed as by netem (not UDP, not connections to
 *                    other hosts). It must be in front of the nodes before anyone connects,
 *                    so only runs that ask for latency up front get it;
 *   clock            libfaketime under the database, reading an offset file in a host directory
 *                    bind-mounted read-only into the node: the harness rewrites the file on the
 *                    host, so a clock fault needs no Docker call at all. Programs that link
 *                    jemalloc run with faultline's stand-in (docker/jemalloc-shim.c), since
 *                    jemalloc hangs under libfaketime.
 * Process faults (kill/start, pause/resume) act on the node's container and are in cluster.ts.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { FAULT_KINDS, type FaultKind, type NetSpec } from '../cluster.js';
import type { Support } from '../runtime.js';
import { bounded, docker, LABEL_APP, NAME_PREFIX } from './engine.js';
import { execIn, sh } from './exec.js';
import { BASE_IMAGE, ensureBaseImage } from './image.js';
import { proxyNodeBinary } from './netns-proxy.js';
import { LABEL_OWNER, OWNER_ID } from './watchdog.js';

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
export const IPTABLES = '/usr/sbin/iptables-nft';

/** Where the clock pieces appear inside a node. */
export const CLOCK_DIR_IN_NODE = '/faultline/clock';
const PRELOAD_IN_NODE = '/faultline/faketime/libfaketimeMT.so.1';
const SHIM_DIR_IN_NODE = '/faultline/jemalloc';

export type FaultTable = Record<FaultKind, Support>;

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

let netemProbe: Promise<Support> | undefined;

/** Whether the kernel has netem: tried once per process in a throwaway container. */
export function probeNetem(): Promise<Support> {
  netemProbe ??= (async (): Promise<Support> => {
    await ensureBaseImage();
    const container = await bounded('create the netem probe', (abortSignal) =>
      docker().createContainer({
        name: `${NAME_PREFIX}probe-${Math.random().toString(36).slice(2, 10)}`,
        Image: BASE_IMAGE,
        Cmd: sh('tc qdisc add dev lo root netem delay 1ms && tc qdisc del dev lo root'),
        Labels: { [LABEL_APP]: '1', [LABEL_OWNER]: OWNER_ID },
        HostConfig: { NetworkMode: 'none', CapAdd: ['NET_ADMIN'], Binds: ['/usr:/usr:ro'] },
        abortSignal,
      }),
    );
    try {
      await bounded('start the netem probe', (abortSignal) => container.start({ abortSignal }));
      const r = (await bounded('wait for the netem probe', (abortSignal) =>
        container.wait({ abortSignal }),
      )) as {
        StatusCode: number;
      };
      if (r.StatusCode === 0) return { supported: true };
      const out = await bounded('netem probe output', (abortSignal) =>
        container.logs({ stdout: true, stderr: true, abortSignal }),
      );
      const said = demux(out).trim();
      return {
        supported: false,
        reason: `this kernel has no netem (tc said: ${said || `exit ${r.StatusCode}`})`,
      };
    } finally {
      await bounded('remove the netem probe', (abortSignal) =>
        container.remove({ force: true, abortSignal }),
      ).catch(() => {});
    }
  })().catch((e: Error): Support => {
    netemProbe = undefined;
    return { supported: false, reason: `netem probe failed: ${e.message}` };
  });
  return netemProbe;
}

/** The text of a non-TTY container's log buffer (frames of an 8-byte header and a payload). */
export function demux(buf: Buffer): string {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length && buf[i]! <= 2 && buf[i + 1] === 0) {
    const size = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return i === 0 ? buf.toString('utf8') : Buffer.concat(parts).toString('utf8');
}

/** What this machine allows, before any image or target is considered. */
export async function hostFaults(tools: HostFaultTools): Promise<FaultTable> {
  const faults = Object.fromEntries(FAULT_KINDS.map((f) => [f, { supported: true }])) as FaultTable;
  if (!existsSync(IPTABLES)) {
    const no: Support = {
      supported: false,
      reason: `${IPTABLES} is not installed on the host (apt-get install iptables)`,
    };
    faults.partition = no;
    faults.loss = no;
    faults.latency = no;
  }
  if (!tools.preload) {
    faults.clock = {
      supported: false,
      reason: 'libfaketime is not installed on the host (apt-get install libfaketime)',
    };
  }
  if (faults.latency.supported) faults.latency = await latencySupport();
  return faults;
}

/** Latency by netem, else by the proxy (which needs a node binary the sidecar can see). */
async function latencySupport(): Promise<Support> {
  const netem = await probeNetem();
  if (netem.supported || proxyNodeBinary()) return { supported: true };
  return {
    supported: false,
    reason: `${netem.reason}, and the proxy that stands in for it needs node under /usr on the host (this one is ${process.execPath})`,
  };
}

/**
 * The sidecar that does a node's network faults: faultline-base, the host's /usr (iptables,
 * tc), NET_ADMIN, in the node's network namespace. Labelled like the node (so `clean` and the
 * watchdog find it), with role `net`.
 */
export async function createNetSidecar(
  node: Docker.Container,
  name: string,
  labels: Record<string, string>,
  /** What it runs instead of sleeping (the latency proxy), with the binds that needs. */
  run?: { cmd: string[]; binds: string[] },
): Promise<Docker.Container> {
  return bounded(`create ${name}`, (abortSignal) =>
    docker().createContainer({
      name,
      Image: BASE_IMAGE,
      Cmd: run?.cmd ?? ['/usr/bin/tini', '-s', '--', '/usr/bin/sleep', 'infinity'],
      Labels: labels,
      HostConfig: {
        NetworkMode: `container:${node.id}`,
        CapAdd: ['NET_ADMIN'],
        Binds: ['/usr:/usr:ro', ...(run?.binds ?? [])],
        Tmpfs: { '/run': 'rw,size=1m' },
      },
      abortSignal,
    }),
  );
}

/**
 * The shell line that sets a node's inbound rules: drops from `peers`, and packet loss. Behind
 * the latency proxy, loss spares loopback: the proxy's leg to the node is no network.
 */
export function inputRules(drops: readonly string[], net: NetSpec | undefined, proxied = false): string {
  const rules = [`${IPTABLES} -F INPUT`, ...drops.map((ip) => `${IPTABLES} -A INPUT -s ${ip} -j DROP`)];
  if (net?.lossPercent !== undefined && net.lossPercent > 0) {
    const p = Math.max(0, Math.min(100, net.lossPercent)) / 100;
    const from = proxied ? ' ! -i lo' : '';
    rules.push(`${IPTABLES} -A INPUT${from} -m statistic --mode random --probability ${p} -j DROP`);
  }
  return rules.join(' && ');
}

/** The shell line that sets (or clears) a node's netem qdisc. */
export function qdiscRule(net: NetSpec | undefined): string {
  if (net?.delayMs === undefined || net.delayMs <= 0) return 'tc qdisc del dev eth0 root 2>/dev/null; true';
  const jitter = net.jitterMs ? ` ${net.jitterMs}ms` : '';
  return `tc qdisc replace dev eth0 root netem delay ${net.delayMs}ms${jitter}`;
}

/** Runs a fault's shell line in a sidecar; throws with the output when it fails. */
export async function inSidecar(sidecar: Docker.Container, script: string, what: string, timeoutMs?: number) {
  const r = await execIn(sidecar, sh(script), timeoutMs);
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${r.output.trim()}`);
  return r.output;
}

/** A node's clock directory on the host (bind-mounted at CLOCK_DIR_IN_NODE), with "+0" in it. */
export function makeClockDir(root: string, node: string): string {
  const dir = join(root, node);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  writeClockFile(dir, '+0');
  return dir;
}

/** Sets libfaketime's offset ("+0", "+3600", "-300"): a new file renamed over the old one. */
export function writeClockFile(dir: string, offset: string): void {
  const tmp = join(dir, `.faketime-${process.pid}`);
  writeFileSync(tmp, `${offset}\n`, { mode: 0o644 });
  renameSync(tmp, join(dir, 'faketime'));
}

/**
 * The environment and binds that run a node's database under libfaketime. On faultline-base the
 * supervisor reads the FAULTLINE_ variables and gives only the database LD_PRELOAD; on a user's
 * image the container's whole environment carries it (there is no supervisor), so `docker exec`
 * commands in that node see the node's clock too.
 */
export function fakeClockSetup(
  o: { jemallocShim?: boolean; clockDir: string; supervised: boolean },
  tools: HostFaultTools,
): { env: string[]; binds: string[] } {
  const binds = [`${o.clockDir}:${CLOCK_DIR_IN_NODE}:ro`];
  const file = `${CLOCK_DIR_IN_NODE}/faketime`;
  if (o.supervised) {
    const env = [`FAULTLINE_PRELOAD=${tools.preload}`, `FAULTLINE_FAKETIME_FILE=${file}`];
    if (o.jemallocShim) {
      env.push(`FAULTLINE_LIBPATH=${SHIM_DIR_IN_NODE}`);
      binds.push(`${tools.shim}:${SHIM_DIR_IN_NODE}/libjemalloc.so.2:ro`);
    }
    // libfaketime is under the host's /usr, which faultline-base mounts.
    return { env, binds };
  }
  binds.push(`${tools.preload}:${PRELOAD_IN_NODE}:ro`);
  return {
    env: [
      `LD_PRELOAD=${PRELOAD_IN_NODE}`,
      `FAKETIME_TIMESTAMP_FILE=${file}`,
      'FAKETIME_NO_CACHE=1',
      'FAKETIME_DONT_FAKE_MONOTONIC=1',
    ],
    binds,
  };
}
