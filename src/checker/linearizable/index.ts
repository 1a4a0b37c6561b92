/** The linearizability checker: WGL search with Lowe's memoization, P-compositionality, models. */
export {
  checkLinearizable,
  checkLinearizableSync,
  type KeyEvidence,
  type KeyVerdict,
  type LinearizabilityResult,
  type LinearizableOptions,
  linearizableChecker,
  type OpRef,
  type Step,
} from './check.js';
export { genericKernel, type Kernel, type Model, type ModelOp } from './model.js';
export {
  MODEL_NAMES,
  type ModelName,
  type ModelOptions,
  modelByName,
  models,
  type RegisterOptions,
} from './models/index.js';
export type { Algorithm } from './search/index.js';
