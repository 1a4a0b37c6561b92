/**
 * One schema for a run, whether it comes from flags or a config file: a config's top-level
 * fields mirror `faultline run`'s flags (camelCase), the target, workload and runtime may be
 * a name or the object itself, and their own options sit in `targetOptions`,
 * `workloadOptions`, `runtimeOptions`. Flags override the file, field by field.
 */
import { z } from 'zod';
import type { Workload } from '../runner/workload.js';
import type { Runtime, RuntimeFactory } from '../runtime/runtime.js';
import type { Target } from '../targets/types.js';

const objectWith = <T>(what: string, fields: readonly string[]) =>
  z.custom<T>(
    (v) => typeof v === 'object' && v !== null && fields.every((f) => f in (v as object)),
    `expected a name or a ${what} object (with ${fields.join(', ')})`,
  );

const targetRef = z.union([
  z.string(),
  objectWith<Target>('target', ['name', 'options', 'deploy', 'clients']),
]);
const workloadRef = z.union([
  z.string(),
  objectWith<Workload>('workload', ['name', 'protocol', 'options', 'generator', 'checkers']),
]);
const runtimeRef = z.union([
  z.string(),
  objectWith<RuntimeFactory>('runtime', ['name', 'options', 'create']),
  objectWith<Runtime>('runtime', ['name', 'probe', 'allocate']),
]);
const options = z.record(z.string(), z.unknown());
const list = z.union([z.string(), z.array(z.string())]);

export const runConfigSchema = z
  .object({
    target: targetRef.optional(),
    targetOptions: options.optional(),
    topology: z.string().optional(),
    nodes: z.number().int().min(1).optional(),
    workload: workloadRef.optional(),
    workloadOptions: options.optional(),
    runtime: runtimeRef.optional(),
    runtimeOptions: options.optional(),
    concurrency: z.number().int().min(1).default(10),
    /** Seconds of workload. */
    timeLimit: z.number().positive().default(30),
    /** Total operations per second (0: unlimited). */
    rate: z.number().min(0).default(0),
    seed: z.number().int().optional(),
    /** Per-operation timeout, ms. */
    opTimeout: z.number().positive().default(2000),
    reports: z.string().default('reports'),
    /** Fault families: "partition,kill" or ["partition", "kill"]. */
    nemesis: list.optional(),
    nemesisInterval: z.number().positive().default(10),
    recoveryTime: z.number().min(0).default(10),
    /** Partition shapes to draw from. */
    partitions: list.optional(),
    /** Largest clock skew, seconds. */
    clockOffset: z.number().positive().optional(),
    check: z.boolean().default(true),
  })
  .strict();

export type RunConfigInput = z.input<typeof runConfigSchema>;
export type RunConfig = z.output<typeof runConfigSchema>;

/** Identity, for typing `faultline.config.ts`: `export default defineConfig({ ... })`. */
export function defineConfig(config: RunConfigInput): RunConfigInput {
  return config;
}
