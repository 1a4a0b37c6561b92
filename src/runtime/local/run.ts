/**
 * The shapes a local run's modules share: its settings, each node's processes (NodeProc), the
 * cluster it hands out (LocalCluster), and the run itself (LocalRun), which the cluster's
 * operations take in place of one large closure.
 */
import type { ChildProcess } from 'node:child_process';
import type { Deployment, NodeSpec } from '../../targets/types.js';
import type { Cluster, ClusterNode } from '../cluster.js';
import type { FaultProxy, Toxics } from '../proxy/index.js';
import type { AllocateRequest, NodeSlot } from '../runtime.js';
import type { FaultTable } from './probe.js';

export interface LocalSettings {
  blackhole: 'hold' | 'refuse';
  readyTimeoutS: number;
}

export interface NodeProc {
  spec: NodeSpec;
  slot: NodeSlot;
  node: ClusterNode;
  log: string;
  clockFile: string;
  db?: ChildProcess;
  dbExit?: Promise<void>;
  sidecar?: ChildProcess;
  paused: boolean;
  killed: boolean;
  skewed: boolean;
  strobe?: NodeJS.Timeout;
  strobeEnd?: NodeJS.Timeout;
  toxics?: Toxics;
}

/** A local cluster: the Cluster interface, plus the proxy's own faults. */
export interface LocalCluster extends Cluster {
  /** Replaces the toxics on the data `node` sends (latency, jitter, bandwidth, stalls). */
  toxics(node: string, toxics: Toxics | undefined): void;
  /** Resets every open proxied connection to or from `node`; returns how many. */
  resetConnections(node: string): number;
  readonly proxy: FaultProxy;
}

/** One started (or starting) local deployment: what every operation on its nodes reads. */
export interface LocalRun {
  req: AllocateRequest;
  deployment: Deployment;
  proxy: FaultProxy;
  procs: Map<string, NodeProc>;
  faults: FaultTable;
  /** The host's libfaketime and faultline's jemalloc stand-in, where present. */
  tools: { preload?: string; shim?: string };
  /** The harness's environment for the nodes (without its test runner's variables). */
  baseEnv: NodeJS.ProcessEnv;
  /** Each child's start time, so the run file names it past pid reuse. */
  starts: Map<ChildProcess, string | undefined>;
  stopped: boolean;
  stopping?: Promise<void>;
}
