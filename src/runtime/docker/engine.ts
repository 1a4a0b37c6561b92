/**
 * The connection to the Docker engine: dockerode pinned to API 1.41 (Debian's docker.io 20.10),
 * and `bounded`, which every Docker call of the runtime goes through: no call waits longer than
 * its limit, whatever the engine does (a container frozen with a `docker exec` half set up
 * inside it blocks the engine's calls on that container until the cgroup is thawed).
 */
import { createRequire } from 'node:module';
import type Docker from 'dockerode';

export const DOCKER_API_VERSION = 'v1.41';

/** Labels on everything faultline creates. */
export const LABEL_APP = 'faultline';
export const LABEL_RUN = 'faultline.run';
/** `node` (a node's container) or `net` (its network-fault sidecar). */
export const LABEL_ROLE = 'faultline.role';
export const LABEL_NODE = 'faultline.node';
export const NAME_PREFIX = 'faultline-';

/** Limits for Docker calls, milliseconds. */
export const CALL_TIMEOUT_MS = 10_000;
/** For calls on the way out (heal, teardown), where waiting long helps nobody. */
export const SHORT_TIMEOUT_MS = 4_000;

let shared: Docker | undefined;

/** How to reach the engine: DOCKER_HOST (unix:// or tcp://), else the default socket. */
export function connectionOptions(): { socketPath: string } | { host: string; port: number } {
  const host = process.env.DOCKER_HOST;
  if (host?.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host?.startsWith('tcp://')) {
    const url = new URL(host.replace(/^tcp:/, 'http:'));
    return { host: url.hostname, port: Number(url.port || 2375) };
  }
  return { socketPath: '/var/run/docker.sock' };
}

// dockerode (and its ssh2 and protobuf dependencies) loads on the first Docker call, not with
// the CLI: runs on the local runtime never pay its ~0.4 s.
const requireLazily = createRequire(import.meta.url);

export function docker(): Docker {
  const Dockerode = requireLazily('dockerode') as typeof Docker;
  shared ??= new Dockerode({ ...connectionOptions(), version: DOCKER_API_VERSION });
  return shared;
}

/** A Docker call that did not answer within its limit. */
export class DockerTimeoutError extends Error {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
  ) {
    super(`Docker did not answer within ${timeoutMs} ms: ${what}`);
    this.name = 'DockerTimeoutError';
  }
}

/**
 * Runs one Docker call with a time limit: the request is aborted (dockerode passes the signal
 * to the HTTP request) and the promise rejects with DockerTimeoutError once `timeoutMs` has
 * passed, even if the call ignores the signal.
 */
export function bounded<T>(
  what: string,
  call: (signal: AbortSignal) => Promise<T>,
  timeoutMs = CALL_TIMEOUT_MS,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new DockerTimeoutError(what, timeoutMs));
      controller.abort();
    }, timeoutMs);
    timer.unref();
  });
  const work = call(controller.signal);
  work.catch(() => {}); // a late failure after the timeout is not unhandled
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

/** The HTTP status of a dockerode error, if any. */
export const statusOf = (e: unknown): number | undefined => (e as { statusCode?: number })?.statusCode;

/**
 * Whether a Docker engine answers, within `timeoutMs`. Returns the reason when not, for the
 * messages of `faultline run` and of skipped tests.
 */
export async function engineStatus(
  timeoutMs = 3000,
): Promise<{ ok: true; version: string; apiVersion: string } | { ok: false; reason: string }> {
  try {
    const version = await bounded(
      'version',
      (abortSignal) => {
        const d = docker();
        // dockerode takes the signal here too; its types do not say so.
        return (d.version as (o: object) => Promise<Docker.DockerVersion>).call(d, { abortSignal });
      },
      timeoutMs,
    );
    return { ok: true, version: version.Version, apiVersion: version.ApiVersion };
  } catch (e) {
    const where = process.env.DOCKER_HOST ?? '/var/run/docker.sock';
    return {
      ok: false,
      reason: `no Docker engine at ${where} (${(e as Error).message}); run scripts/setup-docker.sh`,
    };
  }
}

/** A run id: UTC time to the second and 4 random characters (20250101T120000-ab12). */
export function newRunId(): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  return `${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}
