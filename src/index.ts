/** faultline's library API. */

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
export * from './history/index.js';
