/**
 * One node on its SSH host: what the harness knows of it (NodeState) and the commands that
 * change it (iptables rules of the run's chain, netem, the host clock, the database's start).
 * Each function takes the run's `HostCtx` and acts on one node; cluster.ts composes them.
 */
import type { NodeSpec } from '../../targets/types.js';
import type { ClockSpec, ClusterNode } from '../cluster.js';
import type { NodeSlot } from '../runtime.js';
import { type Connection, type HostSpec, q } from './conn.js';
import { signalScript, startScript } from './scripts.js';

export interface HostSlot {
  spec: HostSpec;
  /** Its IPv4 address (what peers and partitions name). */
  address: string;
}

export interface NodeState {
  spec: NodeSpec;
  slot: NodeSlot;
  host: HostSlot;
  conn: Connection;
  dir: string;
  node: ClusterNode;
  shares: Map<string, string>;
  paused: boolean;
  killed: boolean;
  /** Peer addresses whose packets this node drops (a partition). */
  drops: string[];
  lossPercent?: number;
  delay?: { delayMs: number; jitterMs: number };
  netemDev?: string;
  skewed: boolean;
  strobe?: NodeJS.Timeout;
  strobeEnd?: NodeJS.Timeout;
  tether?: { close(): void; exited: Promise<void> };
}

/** What every command of one run shares. */
export interface HostCtx {
  /** '' or 'sudo -n ': the prefix of privileged commands. */
  S: string;
  /** The run's iptables chain. */
  chain: string;
  /** Whether every host has iptables and the right to use it. */
  iptables: boolean;
  timeoutMs: number;
  emit: (message: string) => void;
  stopped: () => boolean;
}

export const where = (st: NodeState) => `node ${st.spec.name}`;

export const run = (ctx: HostCtx, st: NodeState, command: string, what: string, ms = ctx.timeoutMs) =>
  st.conn.run(command, { what, timeoutMs: ms });

/** Runs fn on every node (all of them, whatever fails); one error naming each that failed. */
export async function onEach(what: string, nodes: NodeState[], fn: (st: NodeState) => Promise<unknown>) {
  const results = await Promise.allSettled(nodes.map(fn));
  const failed = results.flatMap((r, i) =>
    r.status === 'rejected' ? [`${where(nodes[i]!)}: ${(r.reason as Error).message}`] : [],
  );
  if (failed.length > 0) throw new Error(`${what}: ${failed.join('; ')}`);
}

/** The node's chain: SSH exempt, then its partition drops, then its packet loss. */
export async function applyRules(ctx: HostCtx, st: NodeState): Promise<void> {
  if (!ctx.iptables) return;
  const ipt = `${ctx.S}iptables -w`;
  const lines = [
    `${ipt} -F ${ctx.chain}`,
    `${ipt} -A ${ctx.chain} -p tcp --dport ${st.host.spec.port} -j RETURN`,
    ...st.drops.map((a) => `${ipt} -A ${ctx.chain} -s ${a} -j DROP`),
  ];
  if (st.lossPercent !== undefined && st.lossPercent > 0) {
    const p = Math.max(0, Math.min(100, st.lossPercent)) / 100;
    lines.push(`${ipt} -A ${ctx.chain} -m statistic --mode random --probability ${p} -j DROP`);
  }
  await run(ctx, st, lines.join(' && '), `setting ${ctx.chain}'s rules`);
}

/** netem on the device toward the peers as `st.delay` says (removed when it says none). */
export async function applyNetem(ctx: HostCtx, st: NodeState, peers: NodeState[]): Promise<void> {
  const S = ctx.S;
  if (!st.delay || st.delay.delayMs <= 0) {
    if (st.netemDev) {
      await run(
        ctx,
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
    const peer = peers.find((o) => o !== st)?.host.address ?? st.host.address;
    const out = await run(ctx, st, `ip -o route get ${peer}`, `finding the device toward ${peer}`);
    const dev = /\bdev\s+(\S+)/.exec(out)?.[1];
    if (!dev) throw new Error(`${where(st)}: no device toward ${peer} in: ${out.trim()}`);
    st.netemDev = dev;
  }
  const jitter = st.delay.jitterMs ? ` ${st.delay.jitterMs}ms` : '';
  await run(
    ctx,
    st,
    `echo ${q(st.netemDev)} > ${st.dir}/ctl/netem && ${S}tc qdisc replace dev ${q(st.netemDev)} root netem delay ${st.delay.delayMs}ms${jitter}`,
    'setting netem',
  );
}

/** The host's real clock set to the harness's time plus `offsetS` (the harness's clock is the truth). */
export const setClock = (ctx: HostCtx, st: NodeState, offsetS: number) =>
  run(
    ctx,
    st,
    `${ctx.S}date -u -s @${((Date.now() + offsetS * 1000) / 1000).toFixed(3)} >/dev/null`,
    'setting the clock',
  );

export function stopStrobe(st: NodeState): void {
  clearTimeout(st.strobe);
  clearTimeout(st.strobeEnd);
  st.strobe = undefined;
  st.strobeEnd = undefined;
}

export async function resetClock(ctx: HostCtx, st: NodeState): Promise<void> {
  stopStrobe(st);
  if (!st.skewed) return;
  await setClock(ctx, st, 0);
  st.skewed = false;
}

/** A clock fault: reset, a fixed offset, or a strobe flipping between offset and none until its end. */
export async function clockFault(ctx: HostCtx, st: NodeState, spec: ClockSpec): Promise<void> {
  stopStrobe(st);
  if (spec.kind === 'reset') {
    await setClock(ctx, st, 0);
    st.skewed = false;
    return;
  }
  st.skewed = true;
  if (spec.kind === 'offset') {
    await setClock(ctx, st, spec.seconds);
    return;
  }
  let on = false;
  const flip = () => {
    if (ctx.stopped() || !st.skewed) return;
    on = !on;
    setClock(ctx, st, on ? spec.seconds : 0).catch((e) =>
      ctx.emit(`${where(st)}: clock strobe: ${e.message}`),
    );
    st.strobe = setTimeout(flip, spec.periodMs);
  };
  flip();
  st.strobeEnd = setTimeout(() => {
    stopStrobe(st);
    if (!ctx.stopped())
      resetClock(ctx, st).catch((e) => ctx.emit(`${where(st)}: clock reset after strobe: ${e.message}`));
  }, spec.durationMs);
}

/** The supervisor runs the database again (data kept); a paused node stays paused. */
export async function startDb(ctx: HostCtx, st: NodeState): Promise<void> {
  await run(ctx, st, startScript(st.dir), 'starting the database', Math.max(ctx.timeoutMs, 8000));
  st.killed = false;
  if (st.paused) await run(ctx, st, signalScript(st.dir, 'STOP'), 'pausing the restarted database');
}
