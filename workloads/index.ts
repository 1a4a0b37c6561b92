/** The workloads `faultline run --workload NAME` knows; a config file may pass its own. */
import type { Workload } from '../src/runner/workload.js';
import { causalWorkload } from './causal.js';
import { counterWorkload } from './counter.js';
import { registerWorkload } from './register.js';
import { setWorkload } from './set.js';

// biome-ignore lint/suspicious/noExplicitAny: a registry of workloads with different operations
export const WORKLOADS: Readonly<Record<string, Workload<any, any>>> = {
  register: registerWorkload,
  set: setWorkload,
  counter: counterWorkload,
  causal: causalWorkload,
};

export function workloadByName(name: string): Workload {
  const w = Object.hasOwn(WORKLOADS, name) ? WORKLOADS[name] : undefined;
  if (!w) throw new Error(`unknown workload "${name}" (known: ${Object.keys(WORKLOADS).join(', ')})`);
  return w;
}
