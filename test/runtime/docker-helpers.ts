/** Shared by the Docker runtime's tests: a target up through the runtime's public API. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '../../src/clients/types.js';
import type { Cluster, FaultKind } from '../../src/runtime/cluster.js';
import { docker, LABEL_RUN, newRunId } from '../../src/runtime/docker/engine.js';
import { type DockerOptions, dockerRuntime } from '../../src/runtime/docker/index.js';
import { targetByName } from '../../src/targets/index.js';
import type { RegisterOp } from '../../workloads/register.js';

export interface Up {
  cluster: Cluster;
  open(worker: number, timeoutMs?: number): Promise<Client<RegisterOp>>;
}

export const created: Cluster[] = [];

/** Deploys a target with the Docker runtime and starts it (the runner's steps, in order). */
export async function up(
  targetName: string,
  topology?: string,
  o: { target?: Record<string, unknown>; runtime?: DockerOptions; faults?: FaultKind[]; nodes?: number } = {},
): Promise<Up> {
  const target = targetByName(targetName);
  const topo = topology ?? target.defaultTopology;
  const options = target.options.parse(o.target ?? {});
  const runtime = dockerRuntime.create(o.runtime ?? {});
  const runId = newRunId();
  const placement = await runtime.allocate({
    runId,
    nodes: o.nodes ?? target.defaultNodes(topo),
    ports: target.ports(topo, options),
    logDir: mkdtempSync(join(tmpdir(), 'faultline-test-logs-')),
  });
  try {
    const deployment = await target.deploy(
      options,
      { runId, topology: topo, faults: o.faults ?? [] },
      placement.slots,
    );
    const cluster = await placement.start(deployment);
    created.push(cluster);
    const open = (worker: number, timeoutMs = 2000) =>
      target.clients.register!({ cluster, worker, options, topology: topo, timeoutMs }) as Promise<
        Client<RegisterOp>
      >;
    return { cluster, open };
  } catch (e) {
    await placement.release();
    throw e;
  }
}

/** How many containers, networks and volumes of this run are still in Docker. */
export async function leftovers(runId: string): Promise<number> {
  const filters = { label: [`${LABEL_RUN}=${runId}`] };
  const containers = await docker().listContainers({ all: true, filters });
  const networks = await docker().listNetworks({ filters });
  const volumes = await docker().listVolumes({ filters });
  return containers.length + networks.length + (volumes.Volumes ?? []).length;
}

export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not within ${timeoutMs} ms: ${what}`);
}

/**
 * An official-style image, built offline: the host's redis-server and the libraries it links,
 * on a bare root with no shell, no iptables, no tc (what `docker import` of an official image's
 * file system would be like).
 */
export function buildBareRedisImage(image: string): void {
  const build = spawnSync(
    'bash',
    [
      '-euc',
      `d=$(mktemp -d); mkdir -p $d/usr/local/bin $d/data $d/tmp; cp -L /usr/bin/redis-server $d/usr/local/bin/
       for lib in $(ldd /usr/bin/redis-server | grep -o '/[^ ]*'); do mkdir -p $d$(dirname $lib); cp -L $lib $d$lib; done
       tar -C $d -c . | docker import -c 'ENV PATH=/usr/local/bin' - ${image} >/dev/null; rm -rf $d`,
    ],
    { encoding: 'utf8' },
  );
  if (build.status !== 0) throw new Error(`building ${image} failed: ${build.stderr}`);
}

/** One node as seen from inside: its packet filter, freezer, clock and database process. */
export interface NodeInternals {
  /** DROP rules in the node's INPUT chain (read in its network-fault sidecar); -1 without one. */
  dropRules: number;
  paused: boolean;
  /** The node's clock as its database sees it (libfaketime), minus real time; NaN when paused. */
  clockSkewS: number;
  /** Whether the database process runs (faultline-base nodes; false when paused). */
  dbRunning: boolean;
}

/** Every node of a run, from inside (for tests that check what a fault or a heal left). */
export async function nodeInternals(runId: string): Promise<Record<string, NodeInternals>> {
  const { execIn } = await import('../../src/runtime/docker/exec.js');
  const containers = await docker().listContainers({
    all: true,
    filters: { label: [`${LABEL_RUN}=${runId}`] },
  });
  const out: Record<string, NodeInternals> = {};
  for (const c of containers.filter((x) => x.Labels['faultline.role'] === 'node')) {
    const node = c.Labels['faultline.node']!;
    const container = docker().getContainer(c.Id);
    const state = (await container.inspect()).State;
    const sidecar = containers.find(
      (x) => x.Labels['faultline.role'] === 'net' && x.Labels['faultline.node'] === node,
    );
    let dropRules = -1;
    if (sidecar?.State === 'running') {
      const r = await execIn(docker().getContainer(sidecar.Id), [
        '/bin/sh',
        '-c',
        '/usr/sbin/iptables-nft -S INPUT | grep -c DROP; true',
      ]);
      dropRules = Number(r.output.trim());
    }
    let clockSkewS = Number.NaN;
    let dbRunning = false;
    if (!state.Paused && state.Running) {
      const r = await execIn(container, [
        '/bin/sh',
        '-c',
        [
          // The clock the database sees: libfaketime reading the node's offset file.
          // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
          'LD_PRELOAD=${FAULTLINE_PRELOAD:-} FAKETIME_TIMESTAMP_FILE=${FAULTLINE_FAKETIME_FILE:-/run/faultline/faketime} FAKETIME_NO_CACHE=1 date +%s',
          '[ -e /run/faultline/db.pid ] && kill -0 "$(cat /run/faultline/db.pid)" && echo running || echo down',
        ].join('; '),
      ]);
      const [clock, db] = r.output.trim().split('\n');
      clockSkewS = Number(clock) - Math.floor(Date.now() / 1000);
      dbRunning = db === 'running';
    }
    out[node] = { dropRules, paused: state.Paused, clockSkewS, dbRunning };
  }
  return out;
}
