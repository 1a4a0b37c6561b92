/** Running from a config object: what `faultline run --config` does, as a library call. */
import { type RunResult, run } from '../runner/run.js';
import { resolveConfig } from './resolve.js';
import type { RunConfigInput } from './schema.js';

/**
 * Validates a config (names or objects for target, workload and runtime; flags' fields in
 * camelCase) and runs it. Bad input throws a one-line ConfigError or InvalidRunError before
 * anything starts.
 */
export async function runConfig(
  config: RunConfigInput,
  extra: Pick<Parameters<typeof run>[0], 'signal' | 'onEvent' | 'onProgress' | 'runId'> = {},
): Promise<RunResult> {
  return run({ ...resolveConfig(config, 'config', extra.onEvent), ...extra });
}

export { ConfigError, loadConfigFile } from './load.js';
export { defineConfig, type RunConfig, type RunConfigInput, runConfigSchema } from './schema.js';
