/** faultline's library API: checkers and histories, and the seams to run your own database. */

export { WORKLOADS } from '../workloads/index.js';
export { type RegisterOp, registerWorkload } from '../workloads/register.js';
// Running clusters: config, run(), and the plug-in seams.
export * from './campaign/index.js';
export { checkCausal } from './checker/causal/index.js';
export type * from './checker/linearizable/index.js';
export {
  checkLinearizable,
  checkLinearizableSync,
  linearizableChecker,
  models,
} from './checker/linearizable/index.js';
export { checkers } from './checker/registry.js';
export { statsChecker } from './checker/stats.js';
export * from './checker/types.js';
export { httpKvClient } from './clients/http-kv.js';
export type { Client, Completion, OperationBase } from './clients/types.js';
export { decodeValue, encodeValue, errorCompletion, spreadNode } from './clients/types.js';
export { ConfigError, defineConfig, loadConfigFile, type RunConfigInput, runConfig } from './config/index.js';
export * from './history/index.js';
export { type NemesisPlan, runNemesisFor } from './nemesis/plan.js';
export { InvalidRunError } from './runner/preflight.js';
export { type Phase, type Progress, type RunOptions, type RunResult, run } from './runner/run.js';
export { defineWorkload, type Generator, type Workload } from './runner/workload.js';
export type { Cluster, ClusterNode, FaultKind, Grudge } from './runtime/cluster.js';
export { RUNTIMES } from './runtime/registry.js';
export {
  type NodeSlot,
  type Placement,
  peerAddress,
  type Runtime,
  type RuntimeFactory,
  type RuntimeProbe,
} from './runtime/runtime.js';
export { TARGETS } from './targets/index.js';
export {
  type ClientContext,
  type ClientFactory,
  type DeployContext,
  type Deployment,
  defineTarget,
  type NodeSpec,
  type Target,
} from './targets/types.js';
