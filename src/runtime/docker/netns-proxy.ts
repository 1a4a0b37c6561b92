/**
 * Latency where the kernel has no netem: faultline's own TCP proxy (proxy/netns-main.ts) runs
 * as a node's network sidecar's main process, in the node's network namespace, with the host's
 * node binary (the sidecar mounts the host's /usr). It puts itself in front of every TCP port
 * of the node (an iptables REDIRECT of connections from outside, a route per sender), so it
 * must be in place before clients and peers connect: the sidecar runs it from the start, in
 * runs that ask for latency. Every proxy holds every node's delay: a node's delay acts on what
 * it sends, in its own proxy (its answers) and in its peers' (what it sent on connections it
 * dialled), so its TCP traffic is delayed as netem on its interface would delay it.
 *
 * The harness sets the delay with `docker exec` in the sidecar: a file, SIGHUP, and a wait for
 * the proxy's acknowledgement, so the fault is on when the call returns.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleOnce } from '../bundle.js';
import type { NetSpec } from '../cluster.js';

/** Where the bundled proxy appears in the sidecar. */
export const PROXY_CODE_IN_SIDECAR = '/faultline/netns-proxy';
/** The proxy's control files (the sidecar's /run tmpfs). */
export const PROXY_CONTROL_DIR = '/run/faultline-proxy';
const ENTRY = 'netns-main.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The proxy bundled once per process into a directory of its own (from dist/ when faultline
 * runs compiled, from the TypeScript sources in tests): the sidecar sees that file only.
 */
export function proxyBundle(): Promise<string> {
  return bundleOnce({
    what: "faultline's netns proxy code",
    dir: join(here, '..', 'proxy'),
    entry: 'netns-main.js',
    outfile: ENTRY,
    tmpPrefix: 'faultline-netns-proxy-',
  });
}

/** The host's node binary, when the sidecar can see it (under /usr). */
export function proxyNodeBinary(): string | undefined {
  return [process.execPath, '/usr/bin/node'].find((p) => p.startsWith('/usr/') && existsSync(p));
}

/** The sidecar's command and bind when it runs the proxy for a node at `host` with `ports`. */
export function proxySidecar(
  o: {
    node: string;
    host: string;
    ports: readonly number[];
    /** The other nodes' addresses, by name (each peer's connections get a route of their own). */
    peers: Record<string, string>;
    iptables: string;
  },
  nodeBinary: string,
  bundleDir: string,
): { cmd: string[]; binds: string[] } {
  const config = { ...o, ports: [...new Set(o.ports)], dir: PROXY_CONTROL_DIR };
  return {
    cmd: [
      '/usr/bin/tini',
      '-s',
      '--',
      nodeBinary,
      `${PROXY_CODE_IN_SIDECAR}/${ENTRY}`,
      JSON.stringify(config),
    ],
    binds: [`${bundleDir}:${PROXY_CODE_IN_SIDECAR}:ro`],
  };
}

const D = PROXY_CONTROL_DIR;
/** Waits (up to 10 s) until `test` holds; the shell's `sleep` is the host's (fractions work). */
const waitFor = (test: string, failure: string) =>
  `{ i=0; while ! ${test} && [ $i -lt 500 ]; do sleep 0.02; i=$((i+1)); done; ${test} || { echo '${failure}'; exit 1; }; }`;

/** The shell line that waits until the proxy listens and its redirects are in place. */
export function proxyReadyScript(): string {
  return waitFor(
    `[ -e ${D}/ready ]`,
    'the latency proxy is not ready after 10 s (its output is in the sidecar log)',
  );
}

/**
 * The shell line that sets the proxy's delays, every node's (a node's delay acts in its own
 * proxy and in those of the peers it dials), and waits until they apply.
 */
export function proxyDelayScript(nets: Record<string, NetSpec | undefined>, gen: number): string {
  const delays = Object.fromEntries(
    Object.entries(nets).flatMap(([node, net]) =>
      net?.delayMs !== undefined && net.delayMs > 0
        ? [[node, { delayMs: net.delayMs, jitterMs: net.jitterMs ?? 0 }]]
        : [],
    ),
  );
  const toxics = JSON.stringify({ gen, delays });
  return [
    proxyReadyScript(),
    `printf '%s' '${toxics}' > ${D}/toxics.json.tmp`,
    `mv ${D}/toxics.json.tmp ${D}/toxics.json`,
    `kill -HUP "$(cat ${D}/pid)"`,
    waitFor(`[ "$(cat ${D}/applied 2>/dev/null)" = ${gen} ]`, `the latency proxy did not apply ${toxics}`),
  ].join(' && ');
}
