/**
 * From a run config (flags merged over a config file) to `run()`'s options: names become
 * objects here, once, at the edge; everything after works on objects only.
 */
import { WORKLOADS, workloadByName } from '../../workloads/index.js';
import { DEFAULT_NEMESIS_INTERVAL_S, runNemesisFor } from '../nemesis/plan.js';
import { parseFamilies } from '../nemesis/schedule.js';
import { PARTITION_KINDS } from '../nemesis/types.js';
import { InvalidRunError, parseWith, zodLine } from '../runner/preflight.js';
import { randomSeed } from '../runner/rng.js';
import type { RunOptions } from '../runner/run.js';
import type { Workload } from '../runner/workload.js';
import { DEFAULT_RUNTIME, RUNTIMES, runtimeByName } from '../runtime/registry.js';
import type { Runtime, RuntimeFactory } from '../runtime/runtime.js';
import { TARGETS, targetByName } from '../targets/index.js';
import type { Target } from '../targets/types.js';
import { ConfigError } from './load.js';
import { type RunConfig, type RunConfigInput, runConfigSchema } from './schema.js';

export const DEFAULT_TARGET = 'kvstore';
export const DEFAULT_WORKLOAD = 'register';

const byName = <T>(what: string, known: Record<string, T>, lookup: (n: string) => T, ref: string | T): T => {
  if (typeof ref !== 'string') return ref;
  if (!Object.hasOwn(known, ref)) {
    throw new InvalidRunError(`unknown ${what} "${ref}" (known: ${Object.keys(known).join(', ')})`);
  }
  return lookup(ref);
};

export const resolveTarget = (ref: RunConfig['target']): Target =>
  byName('target', TARGETS, targetByName, ref ?? DEFAULT_TARGET);
export const resolveWorkload = (ref: RunConfig['workload']): Workload =>
  byName('workload', WORKLOADS, workloadByName, ref ?? DEFAULT_WORKLOAD);

function resolveRuntime(config: RunConfig): Runtime {
  const ref = config.runtime ?? DEFAULT_RUNTIME;
  if (typeof ref !== 'string' && 'allocate' in ref) return ref;
  const factory: RuntimeFactory = byName('runtime', RUNTIMES, runtimeByName, ref as string | RuntimeFactory);
  return factory.create(
    parseWith(`runtime ${factory.name}`, factory.options, runtimeSection(config, factory.name)),
  );
}

/**
 * A runtime's options: `runtimeOptions` itself, or, when every key of it names a runtime
 * (`{ ssh: { hosts }, docker: { subnet } }`), that runtime's section, so one config runs on
 * any runtime by changing only `runtime`.
 */
export function runtimeSection(config: RunConfig, name: string): Record<string, unknown> | undefined {
  const options = config.runtimeOptions;
  if (!options) return undefined;
  const keys = Object.keys(options);
  const sectioned = keys.length > 0 && keys.every((k) => Object.hasOwn(RUNTIMES, k) || k === name);
  return sectioned ? (options[name] as Record<string, unknown> | undefined) : options;
}

const asList = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean);

/**
 * What `faultline run` plays on the reference store when given neither --nemesis nor a config
 * file: partitions, kills and clock bumps every ~5 s, so a first run shows faults and what
 * they break (programmatic runs and config files get no nemesis unless they ask).
 */
export const DEFAULT_KVSTORE_NEMESIS = { nemesis: 'partition,kill,clock', nemesisInterval: 5 } as const;

function nemesisOf(config: RunConfig, onEvent?: (m: string) => void): RunOptions['nemesis'] {
  const kinds = asList(config.partitions);
  if (config.nemesis === undefined) {
    if (kinds.length > 0 || config.clockOffset !== undefined)
      throw new InvalidRunError('partitions and clockOffset need a nemesis');
    return undefined;
  }
  const families = parseFamilies(asList(config.nemesis).join(','));
  for (const k of kinds) {
    if (!(PARTITION_KINDS as readonly string[]).includes(k))
      throw new InvalidRunError(`partitions: unknown shape "${k}" (known: ${PARTITION_KINDS.join(', ')})`);
  }
  const choices = {
    ...(kinds.length ? { partition: { kinds } } : {}),
    ...(config.clockOffset !== undefined ? { clock: { maxOffsetS: config.clockOffset } } : {}),
  };
  return runNemesisFor(
    {
      families,
      intervalS: config.nemesisInterval ?? DEFAULT_NEMESIS_INTERVAL_S,
      recoveryS: config.recoveryTime,
      choices,
    },
    { timeLimitS: config.timeLimit, onEvent },
  );
}

/** Validates a merged config and builds `run()`'s options from it. */
export function resolveConfig(
  input: RunConfigInput,
  where: string,
  onNemesisEvent?: (message: string) => void,
): RunOptions & { concurrency: number; timeLimitS: number; seed: number } {
  const parsed = runConfigSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(zodLine(where, parsed.error, ': '));
  const config = parsed.data;
  const target = resolveTarget(config.target);
  if (where === 'flags' && config.nemesis === undefined && target.name === 'kvstore' && !config.partitions)
    Object.assign(config, DEFAULT_KVSTORE_NEMESIS, {
      nemesisInterval: input.nemesisInterval ?? DEFAULT_KVSTORE_NEMESIS.nemesisInterval,
    });
  const workload = resolveWorkload(config.workload);
  return {
    runtime: resolveRuntime(config),
    target,
    targetOptions: config.targetOptions,
    topology: config.topology,
    nodes: config.nodes,
    workload,
    workloadOptions: config.workloadOptions,
    concurrency: config.concurrency,
    rate: config.rate,
    timeLimitS: config.timeLimit,
    seed: config.seed ?? randomSeed(),
    opTimeoutMs: config.opTimeout,
    reportsDir: config.reports,
    check: config.check,
    nemesis: nemesisOf(config, onNemesisEvent),
  };
}
