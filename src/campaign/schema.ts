/**
 * A campaign file: a matrix of runs over targets (with their options), workloads, nemesis
 * sets, runtimes and seeds, with per-cell overrides and excludes. One zod schema; every bad
 * field is one line naming it (exit 254). The run fields (`run`, and `run` inside an override)
 * are the run config's own (src/config/schema.ts), less what the matrix decides.
 *
 * ```ts
 * export default defineCampaign({
 *   name: 'nightly',
 *   targets: ['kvstore', { label: 'etcd-serializable', target: 'etcd', options: { serializable: true } }],
 *   nemeses: ['none', 'partition', 'kill,pause'],
 *   seeds: 3,
 *   run: { timeLimit: 30, concurrency: 5 },
 *   exclude: [{ target: 'etcd-serializable', nemesis: 'clock', reason: 'etcd ignores libfaketime' }],
 * });
 * ```
 */
import { z } from 'zod';
import { runConfigSchema } from '../config/schema.js';
import type { Workload } from '../runner/workload.js';
import type { RuntimeFactory } from '../runtime/runtime.js';
import type { Target } from '../targets/types.js';

/** Cell ids are made of labels, so they name folders: letters, digits, _ . + only. */
export const LABEL = /^[A-Za-z0-9][A-Za-z0-9_.+]*$/;
const label = z
  .string()
  .regex(
    LABEL,
    'a label is letters, digits, "_", "." or "+" (it names folders), starting with a letter or digit',
  );
const campaignName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.+-]*$/, 'a campaign name is letters, digits, "_", ".", "+" or "-"');

const objectWith = <T>(what: string, fields: readonly string[]) =>
  z.custom<T>(
    (v) => typeof v === 'object' && v !== null && fields.every((f) => f in (v as object)),
    `expected a name or a ${what} object (with ${fields.join(', ')})`,
  );
const options = z.record(z.string(), z.unknown());
const patterns = z.array(
  z.string().refine((p) => {
    try {
      new RegExp(p);
      return true;
    } catch {
      return false;
    }
  }, 'not a valid regular expression'),
);

/** The run fields a campaign sets for every cell (the matrix sets the rest). */
export const runFieldsSchema = runConfigSchema
  .omit({ target: true, workload: true, runtime: true, seed: true, nemesis: true, reports: true })
  .strict();

const targetObject = objectWith<Target>('target', ['name', 'options', 'deploy', 'clients']);
const targetEntry = z.union([
  z.string(),
  targetObject,
  z
    .object({
      label: label.optional(),
      target: z.union([z.string(), targetObject]),
      options: options.optional(),
      topology: z.string().optional(),
      nodes: z.number().int().min(1).optional(),
      /** Regular expressions flagged in this target's node logs, besides its defaults. */
      logPatterns: patterns.optional(),
    })
    .strict(),
]);

const workloadEntry = z.union([
  z.string(),
  z
    .object({
      label: label.optional(),
      workload: z.union([
        z.string(),
        objectWith<Workload>('workload', ['name', 'protocol', 'options', 'generator', 'checkers']),
      ]),
      options: options.optional(),
    })
    .strict(),
]);

const families = z.union([z.string(), z.array(z.string()).min(1)]);
const nemesisEntry = z.union([
  families,
  z
    .object({
      label: label.optional(),
      /** Fault families ("partition,kill" or a list); "none" for no faults. */
      nemesis: families,
      nemesisInterval: z.number().positive().optional(),
      recoveryTime: z.number().min(0).optional(),
      partitions: z.union([z.string(), z.array(z.string())]).optional(),
      clockOffset: z.number().positive().optional(),
    })
    .strict(),
]);

const runtimeEntry = z.union([
  z.string(),
  z
    .object({
      label: label.optional(),
      runtime: z.union([z.string(), objectWith<RuntimeFactory>('runtime', ['name', 'options', 'create'])]),
      options: options.optional(),
    })
    .strict(),
]);

const oneOrMore = <T extends z.ZodType>(t: T) => z.union([t, z.array(t).min(1)]);
/** Which cells an exclude or override applies to: every field given must match (labels). */
const matchFields = {
  target: oneOrMore(z.string()).optional(),
  workload: oneOrMore(z.string()).optional(),
  nemesis: oneOrMore(z.string()).optional(),
  runtime: oneOrMore(z.string()).optional(),
  seed: oneOrMore(z.number().int()).optional(),
};

export const campaignSchema = z
  .object({
    /** Names reports/<name>/ (default: the file's name without extensions). */
    name: campaignName.optional(),
    description: z.string().optional(),
    /** Where the campaign's folder goes (default "reports"). */
    reports: z.string().optional(),
    targets: z.array(targetEntry).min(1),
    workloads: z.array(workloadEntry).min(1).optional(),
    /** Nemesis sets; "none" runs without faults (default: ["none"]). */
    nemeses: z.array(nemesisEntry).min(1).optional(),
    runtimes: z.array(runtimeEntry).min(1).optional(),
    /** A count (seeds 1..n) or the seeds themselves (default 1). */
    seeds: z.union([z.number().int().min(1).max(10_000), z.array(z.number().int().min(0)).min(1)]).optional(),
    /** Run fields for every cell (timeLimit, concurrency, targetOptions, ...). */
    run: runFieldsSchema.optional(),
    exclude: z.array(z.object({ ...matchFields, reason: z.string().optional() }).strict()).optional(),
    overrides: z.array(z.object({ ...matchFields, run: runFieldsSchema }).strict()).optional(),
    /** Node-log patterns flagged for every target, besides each target's defaults. */
    logPatterns: patterns.optional(),
    /** Defaults for the command's flags (a flag given wins). */
    parallel: z.number().int().min(1).optional(),
    retries: z.number().int().min(0).max(5).optional(),
    timeBudget: z.number().positive().optional(),
    failFast: z.boolean().optional(),
  })
  .strict();

export type CampaignInput = z.input<typeof campaignSchema>;
export type Campaign = z.output<typeof campaignSchema>;

/** Identity, for typing `campaign.config.ts`: `export default defineCampaign({ ... })`. */
export function defineCampaign(campaign: CampaignInput): CampaignInput {
  return campaign;
}
