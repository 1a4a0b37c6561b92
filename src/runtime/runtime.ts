/**
 * Where nodes live. A runtime places a deployment's nodes (Docker containers, local processes,
 * remote hosts) and hands back a running `Cluster`. The runner never knows which runtime it
 * drives: it gets one object and calls these functions.
 *
 * Starting is two steps because a target must know where its nodes are before it can say how
 * to run them (etcd's peer URLs name every member's address and port): `allocate` reserves a
 * slot per node (name, address, ports, data directory), the target turns the slots into a
 * `Deployment`, and `start` runs it.
 */
import type { z } from 'zod';
import type { Deployment } from '../targets/types.js';
import type { Cluster, FaultKind } from './cluster.js';

/** Whether a fault (or the runtime itself) works here; when not, why, in one line. */
export type Support = { supported: true } | { supported: false; reason: string };

export interface RuntimeProbe {
  /** Whether the runtime can start nodes at all on this machine (the Docker engine answers, ...). */
  available: Support;
  /** What each fault family needs of this machine, before any target is considered. */
  faults: Record<FaultKind, Support>;
  /** Facts for run.json (engine version, kernel, ...). */
  info: Record<string, unknown>;
}

/** One node's place, decided by the runtime before the target plans the node. */
export interface NodeSlot {
  /** n1, n2, ...: what the history's `node` field carries. */
  name: string;
  /** The address clients and the other nodes reach this node at. */
  host: string;
  /** One port per name the target asked for (the runtime may keep the target's number or not). */
  ports: Record<string, number>;
  /** A directory the node may write (its data), as the node's process sees it. */
  dataDir: string;
  /**
   * The path, as the node's process sees it, of a host file or directory the node needs (read
   * only): faultline's own code for the kvstore, a config file. The runtime makes it visible.
   */
  share(hostPath: string): string;
  /**
   * The "host:port" this node uses to reach another node's named port, when the runtime
   * routes node-to-node traffic per pair (the local runtime's proxy makes partitions exact
   * that way). Absent: the other node's own address. Use `peerAddress` rather than calling it.
   */
  peer?(other: string, port: string): string;
  /**
   * The "host:port" this node advertises for a named port that every other node dials at the
   * one address (etcd's peer URL), when the runtime puts a proxy there that names each
   * connection's sender (the deployment's `identify` for that port): the local runtime. The
   * node still listens at `host:ports[port]`. Absent: that same address. Use `advertisedAddress`.
   */
  advertise?(port: string): string;
}

/** The address `slot` tells every other node to reach its named port at. */
export function advertisedAddress(slot: NodeSlot, port: string): string {
  return slot.advertise?.(port) ?? `${slot.host}:${slot.ports[port]}`;
}

/** The address `from` reaches `to`'s named port at (per pair where the runtime routes so). */
export function peerAddress(from: NodeSlot, to: NodeSlot, port: string): string {
  return from.peer?.(to.name, port) ?? `${to.host}:${to.ports[port]}`;
}

export interface AllocateRequest {
  runId: string;
  /** Node count. */
  nodes: number;
  /** The ports each node serves, by name, with the number the target would like. */
  ports: Record<string, number>;
  /** Where node logs go (`<logDir>/<node>.log`). */
  logDir: string;
  /** The fault abilities the run will use (a runtime may prepare for them: Docker's latency proxy). */
  faults?: readonly FaultKind[];
  /** Progress messages for people. */
  onEvent?: (message: string) => void;
  signal?: AbortSignal;
}

/** Slots reserved for one run; `start` runs the target's deployment in them. */
export interface Placement {
  readonly slots: readonly NodeSlot[];
  /** Facts for run.json (subnet, image, ...). */
  readonly info: Record<string, unknown>;
  /** Starts every node and resolves once each is ready (the deployment's checks). */
  start(deployment: Deployment): Promise<Cluster>;
  /** Gives the slots back when `start` was never called or failed. Idempotent. */
  release(): Promise<void>;
}

export interface Runtime {
  /** docker, local, ssh, ... (for run.json and messages). */
  readonly name: string;
  /**
   * How clock faults reach a node: `libfaketime` under the database (default; programs that
   * read time through the vDSO, as Go does, never see it) or the node's `system` clock.
   */
  readonly clock?: 'libfaketime' | 'system';
  probe(): Promise<RuntimeProbe>;
  allocate(request: AllocateRequest): Promise<Placement>;
  /** Removes what crashed runs left behind (all of faultline's, or one run's); names what it removed. */
  clean(options?: { runId?: string; dryRun?: boolean }): Promise<string[]>;
  /** Ends every cluster this process started and has not stopped (signal handlers, crashes). */
  stopAll(): Promise<void>;
}

/**
 * A runtime as the CLI and config files name it: its own options (the CLI makes a flag of
 * each, as for targets) and a constructor. `run()` gets the constructed `Runtime`.
 */
// biome-ignore lint/suspicious/noExplicitAny: the default admits any runtime's options
export interface RuntimeFactory<O extends Record<string, unknown> = any> {
  name: string;
  description: string;
  options: z.ZodType<O>;
  create(options: O): Runtime;
}
