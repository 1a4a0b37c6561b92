/**
 * `faultline run`: flags (or a config file, flags over it) → a target, workload, runtime and
 * nemesis → `run()`; exits with the verdict (0 valid, 1 invalid, 2 unknown, 254 bad
 * arguments or config, 255 crash or no runtime). Target, workload and runtime flags are made
 * from their options schemas (src/config/flags.ts), so this file names none of them.
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { WORKLOADS } from '../../workloads/index.js';
import { exitCodeFor } from '../checker/types.js';
import { collectFlags, type FlagSource, generateFlags } from '../config/flags.js';
import { ConfigError, loadConfigFile } from '../config/load.js';
import {
  DEFAULT_TARGET,
  DEFAULT_WORKLOAD,
  resolveConfig,
  resolveTarget,
  resolveWorkload,
} from '../config/resolve.js';
import type { RunConfigInput } from '../config/schema.js';
import { checkPlan } from '../nemesis/plan.js';
import { InvalidRunError } from '../runner/preflight.js';
import { type RunOptions, type RunResult, run, validateRunOptions } from '../runner/run.js';
import { UnsupportedFaultError } from '../runtime/cluster.js';
import { DEFAULT_RUNTIME, RUNTIMES } from '../runtime/registry.js';
import type { Runtime } from '../runtime/runtime.js';
import { TARGETS } from '../targets/index.js';
import { EXIT, exitWhenDone, UsageError } from './exit.js';
import { interruptHandling as sharedInterrupt } from './interrupt.js';
import { progressPrinter } from './progress.js';
import { GENERIC_KEYS, registerRunFlags } from './run-flags.js';

export const flagSources = (): FlagSource[] => [
  ...Object.values(TARGETS).map((t) => ({ kind: 'target' as const, name: t.name, schema: t.options })),
  ...Object.values(WORKLOADS).map((w) => ({ kind: 'workload' as const, name: w.name, schema: w.options })),
  ...Object.values(RUNTIMES).map((r) => ({ kind: 'runtime' as const, name: r.name, schema: r.options })),
];

const nameOf = (ref: unknown, dflt: string) =>
  typeof ref === 'string' ? ref : ((ref as { name?: string } | undefined)?.name ?? dflt);

/**
 * Flags of a config's own target, workload or runtime (objects no registry knows, so their
 * flags could not be made before the file was read): parsed from what commander left over.
 * Anything still unknown is an error, as commander would say it.
 */
function ownObjectFlags(rest: readonly string[], config: Record<string, unknown>) {
  const sources: FlagSource[] = [];
  const kinds = [
    ['target', config.target, TARGETS],
    ['workload', config.workload, WORKLOADS],
    ['runtime', config.runtime, RUNTIMES],
  ] as const;
  for (const [kind, ref, known] of kinds) {
    const own = ref as { name?: string; options?: FlagSource['schema'] } | undefined;
    if (typeof ref === 'object' && own?.name && own.options && !Object.hasOwn(known, own.name))
      sources.push({ kind, name: own.name, schema: own.options });
  }
  const sub = new Command('run').exitOverride().configureOutput({ writeErr: () => {} });
  const { options, flags } = generateFlags(sources, new Set());
  for (const option of options) sub.addOption(option);
  try {
    sub.parse([...rest], { from: 'user' });
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message.replace(/^error: /, ''));
  }
  if (sub.args.length > 0) throw new InvalidArgumentError(`unexpected argument '${sub.args[0]}'`);
  const given = (key: string) => (sub.getOptionValueSource(key) === 'cli' ? sub.opts()[key] : undefined);
  return collectFlags(flags, given, sources);
}

/** Flags merged over the config file (field by field), as one config. */
async function mergedConfig(cmd: Command, generated: ReturnType<typeof generateFlags>['flags']) {
  const flags = cmd.opts<Record<string, unknown>>();
  const fromCli = (key: string) => (cmd.getOptionValueSource(key) === 'cli' ? flags[key] : undefined);
  const file: RunConfigInput = flags.config ? await loadConfigFile(String(flags.config)) : {};
  const config: Record<string, unknown> = { ...file };
  for (const key of GENERIC_KEYS) if (fromCli(key) !== undefined) config[key] = fromCli(key);
  const chosen = [
    { kind: 'target' as const, name: nameOf(config.target, DEFAULT_TARGET) },
    { kind: 'workload' as const, name: nameOf(config.workload, DEFAULT_WORKLOAD) },
    { kind: 'runtime' as const, name: nameOf(config.runtime, DEFAULT_RUNTIME) },
  ];
  const byKind = collectFlags(generated, fromCli, chosen);
  const own = ownObjectFlags(cmd.args, config);
  config.targetOptions = { ...file.targetOptions, ...byKind.target, ...own.target };
  config.workloadOptions = { ...file.workloadOptions, ...byKind.workload, ...own.workload };
  config.runtimeOptions = { ...file.runtimeOptions, ...byKind.runtime, ...own.runtime };
  return { config: config as RunConfigInput, where: flags.config ? String(flags.config) : 'flags' };
}

/** Everything checked before anything starts; bad input becomes UsageError (exit 254). */
export async function prepareRun(
  cmd: Command,
  generated: ReturnType<typeof generateFlags>['flags'],
): Promise<RunOptions> {
  try {
    const { config, where } = await mergedConfig(cmd, generated);
    resolveTarget(config.target);
    resolveWorkload(config.workload);
    const options = resolveConfig(config, where, (m) => process.stderr.write(`faultline: ${m}\n`));
    validateRunOptions(options);
    warnIfNoFault(options);
    return options;
  } catch (e) {
    if (e instanceof ConfigError || e instanceof InvalidRunError || e instanceof InvalidArgumentError)
      throw new UsageError(e.message);
    if (e instanceof Error && /^(--nemesis|unknown )/.test(e.message)) throw new UsageError(e.message);
    throw e;
  }
}

function warnIfNoFault(o: RunOptions): void {
  const plan = o.nemesis?.plan;
  if (!plan) return;
  const resolved = validateRunOptions(o);
  const timeLimitS = o.timeLimitS ?? 30;
  let faults: number;
  try {
    // A nemesis that cannot be drawn for this many nodes fails here, before anything starts.
    faults = checkPlan(plan, resolved.nodes, timeLimitS).faults;
  } catch (e) {
    throw new InvalidRunError((e as Error).message);
  }
  if (faults === 0) {
    process.stderr.write(
      `faultline: warning: --nemesis-interval ${plan.intervalS} s is long for a ${timeLimitS} s run: likely no fault will start (the first comes after about one interval)\n`,
    );
  }
}

/** The runtime must run here, and do every fault asked for; says why not. */
async function probeRuntime(runtime: Runtime, o: RunOptions): Promise<number | undefined> {
  const probe = await runtime.probe();
  if (!probe.available.supported) {
    process.stderr.write(`faultline: runtime ${runtime.name}: ${probe.available.reason}\n`);
    return EXIT.crash;
  }
  for (const family of o.nemesis?.needs ?? []) {
    const support = probe.faults[family];
    if (!support.supported)
      throw new UsageError(`fault "${family}" is not supported: ${runtime.name}: ${support.reason}`);
  }
  return undefined;
}

/** Ctrl-C once: stop and tear down; twice: remove everything now and exit. */
function interruptHandling(runtime: Runtime) {
  return sharedInterrupt({
    stopAll: () => runtime.stopAll(),
    first: 'stopping the run, tearing down',
    second: "removing the run's nodes now",
  });
}

function printResult(result: RunResult, o: RunOptions, json: boolean): void {
  if (json) {
    const { runId, dir, valid, interrupted, counts } = result;
    process.stdout.write(`${JSON.stringify({ runId, dir, valid, interrupted, counts })}\n`);
    return;
  }
  for (const [name, r] of Object.entries(result.results ?? {})) {
    const summary = typeof r.summary === 'string' ? r.summary : '';
    const verdict = r.valid === true ? 'valid' : r.valid === false ? 'INVALID' : 'unknown';
    process.stdout.write(`${name}: ${verdict}${summary ? ` — ${summary}` : ''}\n`);
  }
  const verdict = result.valid === true ? 'VALID' : result.valid === false ? 'INVALID' : 'UNKNOWN';
  const head = o.check === false ? 'NOT CHECKED' : verdict;
  process.stdout.write(`${head}${result.interrupted ? ' (interrupted)' : ''}: ${result.dir}\n`);
  const page = join(result.dir, 'index.html');
  if (existsSync(page)) process.stdout.write(`report: ${page}\n`);
}

/**
 * An interrupted run can prove an anomaly but not that the store is correct: what it
 * recorded being valid says nothing of the time it did not run, so that is "unknown" (2),
 * never 0 for a CI job that was cancelled.
 */
function exitOf(result: { valid: boolean | 'unknown'; interrupted?: boolean }, checked: boolean): number {
  if (!checked) return result.interrupted ? EXIT.unknown : EXIT.valid;
  if (result.interrupted && result.valid !== false) return EXIT.unknown;
  return exitCodeFor(result.valid);
}

export async function runCommand(
  cmd: Command,
  generated: ReturnType<typeof generateFlags>['flags'],
): Promise<number> {
  const options = await prepareRun(cmd, generated);
  const refused = await probeRuntime(options.runtime, options);
  if (refused !== undefined) return refused;
  const interrupt = interruptHandling(options.runtime);
  const progress = progressPrinter(process.stderr);
  try {
    process.stderr.write(
      `faultline: run ${options.target.name} on ${options.runtime.name} seed ${options.seed}\n`,
    );
    const result = await run({
      ...options,
      signal: interrupt.signal,
      onEvent: progress.event,
      onProgress: progress.update,
    });
    progress.end();
    printResult(result, options, cmd.opts().json === true);
    return exitOf(result, options.check !== false);
  } catch (e) {
    // The running cluster cannot do a fault (e.g. latency without netem): refused before the workload.
    if (e instanceof UnsupportedFaultError || e instanceof InvalidRunError) throw new UsageError(e.message);
    throw e;
  } finally {
    interrupt.dispose();
  }
}

export function registerRun(program: Command): void {
  const command = program
    .command('run')
    .description(
      'run a workload against a real cluster under faults, record the history, check it, write the report',
    );
  const generated = registerRunFlags(command, flagSources());
  command.action(async (_flags, cmd: Command) => {
    exitWhenDone(await runCommand(cmd, generated));
  });
}
