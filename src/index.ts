/** faultline's library API. */

export { checkers } from './checker/registry.js';
export { statsChecker } from './checker/stats.js';
export * from './checker/types.js';
export * from './history/index.js';
