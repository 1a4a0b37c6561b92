/**
 * A Docker node's container and sidecar: created with its environment, binds and data
 * (tmpfs in faultline-base, a labelled volume in a user's image), then started with its logs
 * followed and, where network faults work, a sidecar (with a latency proxy where needed) in its
 * network namespace.
 */
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { NodeSpec } from '../../targets/types.js';
import { bounded, docker, LABEL_NODE, LABEL_ROLE } from './engine.js';
import { createNetSidecar, fakeClockSetup, IPTABLES, inSidecar, makeClockDir } from './faults.js';
import { proxyNodeBinary, proxyReadyScript, proxySidecar } from './netns-proxy.js';
import { attachLogs, initPid } from './node-logs.js';
import type { DockerRun, NodeState, RunPlace } from './run.js';
import { CONTROL_DIR } from './supervisor.js';

type Slot = RunPlace['slots'][number];

function clockSetup(run: DockerRun, spec: NodeSpec) {
  const { place } = run;
  if (!spec.fakeClock || !run.faults.clock.supported) return undefined;
  return fakeClockSetup(
    {
      jemallocShim: spec.jemallocShim,
      clockDir: makeClockDir(place.clockRoot, spec.name),
      supervised: place.supervised,
    },
    place.tools,
  );
}

/** Where the node keeps its data: tmpfs in faultline-base, a volume in a user's image. */
function dataMounts(supervised: boolean, labels: Record<string, string>) {
  if (supervised) return { Tmpfs: { '/data': 'rw,size=512m', [CONTROL_DIR]: 'rw,size=1m' } };
  // An anonymous volume (removed with the container), labelled for clean and the watchdog.
  return {
    Mounts: [
      {
        Type: 'volume' as const,
        Source: '',
        Target: '/data',
        VolumeOptions: { NoCopy: false, Labels: labels, DriverConfig: { Name: 'local', Options: {} } },
      },
    ],
  };
}

/** Creates the node's container (not started); its state, for the run. */
export async function createNode(
  run: DockerRun,
  spec: NodeSpec,
  slot: Slot,
  /** The container's command (the supervisor's, or the image's own program). */
  cmd: string[],
): Promise<NodeState> {
  const { place } = run;
  const { supervised } = place;
  const env = Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`);
  if (spec.sidecar) env.push(`FAULTLINE_SIDECAR=${spec.sidecar}`);
  // Behind latency proxies, no database runs (or dials a peer) before every proxy is up:
  // connections made before the redirects would bypass them for good.
  if (run.proxied && supervised) env.push('FAULTLINE_HOLD=1');
  const binds = supervised ? ['/usr:/usr:ro'] : [];
  for (const [hostPath, nodePath] of place.shares) binds.push(`${hostPath}:${nodePath}:ro`);
  const clock = clockSetup(run, spec);
  if (clock) {
    env.push(...clock.env);
    binds.push(...clock.binds);
  }
  const labels = { ...place.labels, [LABEL_NODE]: spec.name, [LABEL_ROLE]: 'node' };
  const container = await bounded(`create ${spec.name}`, (abortSignal) =>
    docker().createContainer({
      name: `${place.network}-${spec.name}`,
      Hostname: spec.name,
      Image: place.image,
      Cmd: cmd,
      Env: env,
      Labels: labels,
      WorkingDir: '/data',
      HostConfig: {
        NetworkMode: place.network,
        Binds: binds,
        Init: !supervised,
        ...dataMounts(supervised, labels),
      },
      NetworkingConfig: { EndpointsConfig: { [place.network]: { IPAMConfig: { IPv4Address: slot.host } } } },
      abortSignal,
    }),
  );
  run.teardown.known.set(container.id, undefined);
  return newNodeState(spec, slot, container, clock ? join(place.clockRoot, spec.name) : undefined);
}

function newNodeState(
  spec: NodeSpec,
  slot: Slot,
  container: Docker.Container,
  clockDir: string | undefined,
): NodeState {
  return {
    spec,
    container,
    clockDir,
    node: { name: spec.name, host: slot.host, ports: { ...slot.ports }, role: spec.role },
    log: [],
    logBytes: 0,
    paused: false,
    killed: false,
    drops: [],
    proxyGen: 0,
  };
}

/** Starts the node's container, follows its logs, and starts its sidecar where one is needed. */
export async function startNode(run: DockerRun, s: NodeState, proxyCode: string | undefined): Promise<void> {
  await bounded(`start ${s.node.name}`, (abortSignal) => s.container.start({ abortSignal }));
  s.pid = await initPid(s.container);
  run.teardown.known.set(s.container.id, s.pid);
  await attachLogs(s, run.place.logDir);
  if (run.networkFaults) await startSidecar(run, s, proxyCode);
}

async function startSidecar(run: DockerRun, s: NodeState, proxyCode: string | undefined): Promise<void> {
  const { place } = run;
  const proxy = proxyCode
    ? proxySidecar(
        {
          node: s.node.name,
          host: s.node.host,
          ports: Object.values(s.node.ports),
          peers: Object.fromEntries(
            [...run.states.values()].filter((t) => t !== s).map((t) => [t.node.name, t.node.host]),
          ),
          iptables: IPTABLES,
        },
        proxyNodeBinary()!,
        proxyCode,
      )
    : undefined;
  const labels = { ...place.labels, [LABEL_NODE]: s.node.name, [LABEL_ROLE]: 'net' };
  const name = `${place.network}-${s.node.name}-net`;
  const sidecar = await createNetSidecar(s.container, name, labels, proxy);
  run.teardown.known.set(sidecar.id, undefined);
  s.sidecar = sidecar;
  await bounded(`start ${s.node.name}'s sidecar`, (abortSignal) => sidecar.start({ abortSignal }));
  if (proxy) await inSidecar(sidecar, proxyReadyScript(), `${s.node.name}'s latency proxy`);
}
