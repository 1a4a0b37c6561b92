/**
 * How a database is deployed, independent of the runtime that runs it: per node, the command
 * line, ports, environment and role; how to tell a node is ready; which faults make sense.
 * A runtime (Docker today) turns a deployment into running nodes and a `Cluster`.
 */
import type { ClusterNode, FaultKind } from '../runtime/cluster.js';

export interface NodeSpec {
  name: string;
  /** Address the node will have (the runtime assigns addresses before the target plans). */
  host: string;
  role: string;
  /** The database process: supervised, killed and restarted by the kill/start faults. */
  command: string[];
  /**
   * A companion process started once beside the database (e.g. redis-sentinel): not touched by
   * kill/start, but shares the node's network and so its partitions. A shell command line.
   */
  sidecar?: string;
  env?: Record<string, string>;
  ports: Record<string, number>;
  /** Run the database under libfaketime so the clock fault can skew it. */
  fakeClock?: boolean;
  /**
   * Under libfaketime, satisfy the program's libjemalloc.so.2 with faultline's stand-in
   * (docker/jemalloc-shim.c, allocation left to glibc): jemalloc hangs under libfaketime.
   */
  jemallocShim?: boolean;
}

export interface Mount {
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
}

export interface Deployment {
  target: string;
  topology: string;
  nodes: NodeSpec[];
  /** Extra host directories the nodes need (e.g. faultline's own compiled code for kvstore). */
  mounts: Mount[];
  /** Faults this target cannot take, with the reason (the runtime may rule out more). */
  unsupported: Partial<Record<FaultKind, string>>;
  /** Facts for run.json. */
  info: Record<string, unknown>;
  /** Whether a node answers as a ready member of the cluster. */
  ready(node: ClusterNode): Promise<boolean>;
  /** The database's version as a node reports it (for run.json). */
  version?(node: ClusterNode): Promise<string>;
  /** Checks the whole cluster once every node is ready (e.g. a leader exists). */
  clusterReady?(nodes: readonly ClusterNode[]): Promise<boolean>;
}

export interface TargetOptions {
  runId: string;
  topology: string;
  /** Node count; each target has its default and its limits. */
  nodes?: number;
  /**
   * The fault families the run will inject. A target may deploy differently for them (Redis
   * runs under libfaketime only when clock faults are asked for).
   */
  faults?: readonly FaultKind[];
  /** Target-specific options (read quorum, serializable reads, ...). */
  [option: string]: unknown;
}

export interface Target {
  name: string;
  topologies: readonly string[];
  defaultTopology: string;
  defaultNodes(topology: string): number;
  /** Validates options and returns the deployment for nodes at the given addresses. */
  plan(options: TargetOptions, hosts: readonly string[]): Deployment | Promise<Deployment>;
}
