/**
 * The shapes a Docker run's modules share: where `allocate` placed it (RunPlace), how it is torn
 * down (RunTeardown), each node's live state (NodeState), and the run itself (DockerRun), which
 * the cluster's operations take in place of one large closure.
 */
import type { WriteStream } from 'node:fs';
import type Docker from 'dockerode';
import type { Deployment, NodeSpec } from '../../targets/types.js';
import type { ClusterNode, FaultKind, NetSpec } from '../cluster.js';
import type { RuntimeProbe } from '../runtime.js';
import type { FaultTable, HostFaultTools } from './faults.js';

/** What `allocate` decided, for `start`. */
export interface RunPlace {
  runId: string;
  image: string;
  /** faultline-base: supervised database, host /usr. */
  supervised: boolean;
  network: string;
  subnet: string;
  engineVersion: string;
  /** Labels on everything of this run. */
  labels: Record<string, string>;
  slots: readonly { name: string; host: string; ports: Record<string, number> }[];
  /** Host path → path in the node, for every path the target shared. */
  shares: ReadonlyMap<string, string>;
  /** Where this run's clock files go on the host. */
  clockRoot: string;
  logDir: string;
  readyTimeoutMs: number;
  probe: RuntimeProbe;
  /** The fault abilities the run asked for up front (the latency proxy is set up for them). */
  faults?: readonly FaultKind[];
  tools: HostFaultTools;
  emit: (message: string) => void;
  signal?: AbortSignal;
}

/** Tears a run down (every labelled resource, the clock files); idempotent; set by the placement. */
export interface RunTeardown {
  /** Containers known to this process (id → init pid), removed even when listing fails. */
  known: Map<string, number | undefined>;
  stop(): Promise<void>;
}

export interface NodeState {
  spec: NodeSpec;
  node: ClusterNode;
  container: Docker.Container;
  /** The container's init pid (for the cgroup, when the engine does not answer). */
  pid?: number;
  sidecar?: Docker.Container;
  clockDir?: string;
  log: string[];
  logBytes: number;
  logFile?: WriteStream;
  logStream?: NodeJS.ReadableStream & { destroy?: () => void };
  paused: boolean;
  killed: boolean;
  /** Peers' addresses this node drops now (the partition), and its packet faults. */
  drops: string[];
  net?: NetSpec;
  /** The latency proxy's last setting (each one numbered, so its acknowledgement is known). */
  proxyGen: number;
  strobe?: NodeJS.Timeout;
  strobeEnd?: NodeJS.Timeout;
}

/** One started (or starting) deployment: what every operation on its nodes reads. */
export interface DockerRun {
  place: RunPlace;
  deployment: Deployment;
  teardown: RunTeardown;
  faults: FaultTable;
  /** Any network fault works here (each node then has a sidecar). */
  networkFaults: boolean;
  /** Latency through faultline's proxy in each node's namespace, where the kernel has no netem. */
  proxied: boolean;
  states: Map<string, NodeState>;
  /** Set once the cluster stops (its clock files are gone then). */
  stopped: boolean;
}
