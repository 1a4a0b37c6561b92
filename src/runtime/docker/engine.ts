/**
 * The connection to the Docker engine: dockerode pinned to API 1.41 (Debian's docker.io 20.10).
 */
import Docker from 'dockerode';

export const DOCKER_API_VERSION = 'v1.41';

/** Labels on everything faultline creates. */
export const LABEL_APP = 'faultline';
export const LABEL_RUN = 'faultline.run';
export const NAME_PREFIX = 'faultline-';

let shared: Docker | undefined;

/** Options from DOCKER_HOST (unix:// or tcp://), else the default socket. */
function connectionOptions(): Docker.DockerOptions {
  const host = process.env.DOCKER_HOST;
  if (host?.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host?.startsWith('tcp://')) {
    const url = new URL(host.replace(/^tcp:/, 'http:'));
    return { host: url.hostname, port: Number(url.port || 2375) };
  }
  return { socketPath: '/var/run/docker.sock' };
}

export function docker(): Docker {
  shared ??= new Docker({ ...connectionOptions(), version: DOCKER_API_VERSION });
  return shared;
}

/**
 * Whether a Docker engine answers, within `timeoutMs`. Returns the reason when not, for the
 * messages of `faultline run` and of skipped tests.
 */
export async function engineStatus(
  timeoutMs = 3000,
): Promise<{ ok: true; version: string; apiVersion: string } | { ok: false; reason: string }> {
  try {
    const version = await Promise.race([
      docker().version(),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref(),
      ),
    ]);
    return { ok: true, version: version.Version, apiVersion: version.ApiVersion };
  } catch (e) {
    const where = process.env.DOCKER_HOST ?? '/var/run/docker.sock';
    return {
      ok: false,
      reason: `no Docker engine at ${where} (${(e as Error).message}); run scripts/setup-docker.sh`,
    };
  }
}
