/**
 * `run()` with the target and workload named, as the CLI names them, on the Docker runtime
 * unless another is given: the end-to-end tests read as the commands a user types.
 */
import { resolveTarget, resolveWorkload } from '../src/config/resolve.js';
import { type RunOptions, type RunResult, run } from '../src/runner/run.js';
import { RUNTIMES } from '../src/runtime/registry.js';

export type NamedRunOptions = Omit<RunOptions, 'target' | 'workload' | 'runtime'> & {
  target: string;
  workload?: string;
  runtime?: RunOptions['runtime'];
  runtimeOptions?: Record<string, unknown>;
};

export function namedRun(o: NamedRunOptions): Promise<RunResult> {
  const { runtimeOptions, ...rest } = o;
  return run({
    ...rest,
    target: resolveTarget(o.target),
    workload: resolveWorkload(o.workload ?? 'register'),
    runtime: o.runtime ?? RUNTIMES.docker!.create(RUNTIMES.docker!.options.parse(runtimeOptions ?? {})),
  });
}
