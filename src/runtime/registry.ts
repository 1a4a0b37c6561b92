/** The runtimes `faultline run --runtime NAME` knows. One line each. */
import { dockerRuntime } from './docker/index.js';
import { localRuntime } from './local/index.js';
import type { RuntimeFactory } from './runtime.js';
import { sshRuntime } from './ssh/index.js';

export const RUNTIMES: Readonly<Record<string, RuntimeFactory>> = {
  docker: dockerRuntime,
  local: localRuntime,
  ssh: sshRuntime,
};

export const DEFAULT_RUNTIME = 'local';

export function runtimeByName(name: string): RuntimeFactory {
  const r = Object.hasOwn(RUNTIMES, name) ? RUNTIMES[name] : undefined;
  if (!r) throw new Error(`unknown runtime "${name}" (known: ${Object.keys(RUNTIMES).join(', ')})`);
  return r;
}
