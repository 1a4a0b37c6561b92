/**
 * A target: how one database is deployed on any runtime and talked to. Everything about one
 * database lives in its folder under src/targets/ (or in a user's own module, through the
 * same interface): its options, its deployment, its clients per workload protocol, and who
 * leads it now. A target never knows container paths or fixed ports: the runtime hands each
 * node its slot (address, ports, data directory) and the target says what to run there.
 */
import type { z } from 'zod';
import type { Client } from '../clients/types.js';
import type { Cluster, ClusterNode, FaultKind } from '../runtime/cluster.js';
import type { NodeSlot } from '../runtime/runtime.js';

/** What one node runs. */
export interface NodeSpec {
  /** The slot's name (n1, n2, ...). */
  name: string;
  role: string;
  /** The database process: supervised, killed and restarted by the kill fault. */
  command: string[];
  /**
   * A companion process started once beside the database (e.g. redis-sentinel): not touched by
   * kill/start, but shares the node's network and so its partitions. A shell command line.
   */
  sidecar?: string;
  env?: Record<string, string>;
  /** Run the database under libfaketime so the clock fault can skew it. */
  fakeClock?: boolean;
  /**
   * Under libfaketime, satisfy the program's libjemalloc.so.2 with faultline's stand-in
   * (docker/jemalloc-shim.c, allocation left to glibc): jemalloc hangs under libfaketime.
   */
  jemallocShim?: boolean;
}

export interface Deployment {
  nodes: NodeSpec[];
  /** Faults this deployment cannot take, with the reason (the runtime may rule out more). */
  unsupported?: Partial<Record<FaultKind, string>>;
  /** Facts for run.json. */
  info?: Record<string, unknown>;
  /** Whether a node answers as a ready member of the cluster. */
  ready(node: ClusterNode): Promise<boolean>;
  /** The database's version as a node reports it (for run.json). */
  version?(node: ClusterNode): Promise<string>;
  /** Checks the whole cluster once every node is ready (e.g. a leader exists). */
  clusterReady?(nodes: readonly ClusterNode[]): Promise<boolean>;
  /**
   * Per port advertised with `advertisedAddress`: names a connection's sending node from the
   * bytes it sends (the local runtime's proxy cuts such connections per pair once named).
   */
  identify?: Record<string, (data: Buffer) => string | undefined>;
  /** Which nodes each node connects to, when not every node to every other (partition exactness). */
  dials?: Record<string, readonly string[]>;
}

/** What the run tells a target about itself besides the target's own options. */
export interface DeployContext {
  runId: string;
  topology: string;
  /** The cluster abilities the run's faults use (a target may deploy differently for them). */
  faults: readonly FaultKind[];
  /** How the runtime skews clocks (absent: libfaketime). */
  clock?: 'libfaketime' | 'system';
}

/** Everything a client factory gets: which worker it serves, the cluster, the target's options. */
export interface ClientContext<O> {
  cluster: Cluster;
  /** Worker index, 0-based. */
  worker: number;
  options: O;
  topology: string;
  /** Per-operation timeout, milliseconds. */
  timeoutMs: number;
}

export type ClientFactory<O = unknown, Op = never> = (ctx: ClientContext<O>) => Promise<Client<Op>>;

/** Clients keyed by the workload protocol they speak (register, set, counter, causal, ...). */
// biome-ignore lint/suspicious/noExplicitAny: each protocol has its own operation type
export type TargetClients<O> = Readonly<Record<string, ClientFactory<O, any>>>;

// biome-ignore lint/suspicious/noExplicitAny: the default admits any target's options
export interface Target<O extends Record<string, unknown> = any> {
  name: string;
  /** One line for --help and run.json. */
  description: string;
  /** The target's own options; the CLI makes a flag of each (camelCase → --kebab-case). */
  options: z.ZodType<O>;
  topologies: readonly string[];
  defaultTopology: string;
  defaultNodes(topology: string): number;
  /** Checks a node count for a topology; returns the reason when it cannot be deployed. */
  checkNodes?(topology: string, nodes: number): string | undefined;
  /** The ports each node serves, by name, with the number it would like. */
  ports(topology: string, options: O): Record<string, number>;
  deploy(options: O, context: DeployContext, slots: readonly NodeSlot[]): Deployment | Promise<Deployment>;
  clients: TargetClients<O>;
  /** Who leads now (etcd's Raft leader, Redis's master); absent for leaderless stores. */
  primaries?(cluster: Cluster, options: O, topology: string): Promise<string[]>;
  /** Faults this target cannot take with these options, by name, with why (asked up front). */
  unsupported?(options: O, context: DeployContext): Partial<Record<FaultKind, string>>;
  /** Regular expressions that mark a database bug in a node's log (a panic, a failed assertion). */
  logPatterns?: readonly string[];
}

/** Identity, for typing: `export default defineTarget({ ... })` in a user's module. */
export function defineTarget<O extends Record<string, unknown>>(target: Target<O>): Target<O> {
  return target;
}
