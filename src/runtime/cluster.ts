/**
 * A running cluster, as a runtime hands it out: plain data (the nodes, what faults it can do)
 * and functions (start, kill, partition, ...). The fault families drive a cluster only through
 * this interface and the runner only reads `nodes` from it; how the nodes run (Docker
 * containers, local processes, remote hosts) stays inside the runtime.
 */

/** Fault families a runtime or a target may support. */
export const FAULT_KINDS = ['partition', 'kill', 'pause', 'clock', 'loss', 'latency'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** One node of the cluster, as the harness reaches it. */
export interface ClusterNode {
  /** Short stable name: n1, n2, ... (what the history's `node` field carries). */
  name: string;
  /** Address the harness reaches the node on (an IP on the run's bridge network). */
  host: string;
  /** Named ports the node serves: `client`, `peer`, `sentinel`, ... */
  ports: Record<string, number>;
  /** Target-defined role: `member`, `primary`, `replica`, ... (at start; may change by failover). */
  role: string;
}

/**
 * A partition as a grudge: each node maps to the nodes whose traffic it drops (Jepsen's
 * "grudge"). `{n1: ['n2','n3'], n2: ['n1'], n3: ['n1']}` isolates n1. Nodes absent from the
 * map drop nothing.
 */
export type Grudge = Record<string, string[]>;

/** What a clock fault does to one node's wall clock (never the host's). */
export type ClockSpec =
  /** Shift the node's wall clock by this many seconds from real time (replaces any earlier offset). */
  | { kind: 'offset'; seconds: number }
  /** Flip between +seconds and real time every periodMs, for durationMs (then back to real time). */
  | { kind: 'strobe'; seconds: number; periodMs: number; durationMs: number }
  /** Back to real time. */
  | { kind: 'reset' };

/** Packet faults on a node's traffic. `lossPercent` 0..100; latency needs kernel netem or a proxy. */
export interface NetSpec {
  lossPercent?: number;
  delayMs?: number;
  jitterMs?: number;
}

/** Raised when a fault is asked of a cluster that cannot do it (before anything is changed). */
export class UnsupportedFaultError extends Error {
  constructor(
    readonly fault: FaultKind,
    readonly reason: string,
  ) {
    super(`fault "${fault}" is not supported: ${reason}`);
    this.name = 'UnsupportedFaultError';
  }
}

export interface Cluster {
  /** The run id every resource of this cluster is labelled with. */
  readonly runId: string;
  readonly nodes: readonly ClusterNode[];
  /**
   * Which fault families work on this cluster (runtime ∩ target), each with the reason when
   * not. Asked before a run, so an impossible nemesis fails up front, by name.
   */
  readonly faults: Readonly<Record<FaultKind, { supported: true } | { supported: false; reason: string }>>;
  /** Free-form facts for run.json: image, versions, subnet, options. */
  readonly info: Readonly<Record<string, unknown>>;

  /** Starts the database process on a node (after `kill`); resolves once the process runs. */
  start(node: string): Promise<void>;
  /** Kills the database process on a node with SIGKILL; its data and container stay. */
  kill(node: string): Promise<void>;
  /** Freezes every process of a node (SIGSTOP-like); `resume` thaws it. */
  pause(node: string): Promise<void>;
  resume(node: string): Promise<void>;
  /** Applies a grudge (replacing any earlier partition). */
  partition(grudge: Grudge): Promise<void>;
  /** Removes every network fault (partitions and packet faults) from every node. */
  heal(): Promise<void>;
  clock(node: string, spec: ClockSpec): Promise<void>;
  net(node: string, spec: NetSpec): Promise<void>;
  /** Heals everything: network, clocks, paused nodes, killed processes. Safe to call any time. */
  healAll(): Promise<void>;
  /** The node's log so far (database stdout/stderr). */
  logs(node: string): Promise<string>;
  /** Whether a node's database answers (the target's readiness check). */
  ready(node: string): Promise<boolean>;
  /** Stops every node and removes what the runtime created for them. Idempotent. */
  stop(): Promise<void>;
}

/** Looks a node up by name, with a clear error. */
export function nodeByName(cluster: Pick<Cluster, 'nodes'>, name: string): ClusterNode {
  const node = cluster.nodes.find((n) => n.name === name);
  if (!node)
    throw new Error(`no node named "${name}" (nodes: ${cluster.nodes.map((n) => n.name).join(', ')})`);
  return node;
}

/** Throws UnsupportedFaultError for the first of `wanted` this cluster cannot do. */
export function assertFaultsSupported(cluster: Pick<Cluster, 'faults'>, wanted: Iterable<FaultKind>): void {
  for (const fault of wanted) {
    const support = cluster.faults[fault];
    if (!support.supported) throw new UnsupportedFaultError(fault, support.reason);
  }
}
