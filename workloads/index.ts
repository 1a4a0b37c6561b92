/** The workloads `faultline run --workload NAME` knows. */
import type { Workload } from '../src/runner/workload.js';
import { registerWorkload } from './register.js';

export const WORKLOADS: Record<string, Workload> = {
  register: registerWorkload,
};

export function workloadByName(name: string): Workload {
  const w = WORKLOADS[name];
  if (!w) throw new Error(`unknown workload "${name}" (known: ${Object.keys(WORKLOADS).join(', ')})`);
  return w;
}
