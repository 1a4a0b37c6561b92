/** An in-memory Cluster that logs every call, for testing the nemesis without Docker. */
import type { Cluster, ClusterNode, FaultKind, Grudge } from '../../src/runtime/cluster.js';
import { FAULT_KINDS } from '../../src/runtime/cluster.js';

export interface FakeCluster extends Cluster {
  calls: string[];
  state: {
    grudge: Grudge;
    killed: Set<string>;
    paused: Set<string>;
    clocks: Map<string, number>;
    loss: Set<string>;
  };
}

export function fakeCluster(
  n = 3,
  options: {
    unsupported?: Partial<Record<FaultKind, string>>;
    failOn?: (call: string) => boolean;
  } = {},
): FakeCluster {
  const nodes: ClusterNode[] = Array.from({ length: n }, (_, i) => ({
    name: `n${i + 1}`,
    host: `10.0.0.${11 + i}`,
    ports: { client: 1 },
    role: i === 0 ? 'primary' : 'replica',
  }));
  const faults = Object.fromEntries(
    FAULT_KINDS.map((f) => [
      f,
      options.unsupported?.[f] ? { supported: false, reason: options.unsupported[f] } : { supported: true },
    ]),
  ) as Cluster['faults'];
  const state: FakeCluster['state'] = {
    grudge: {},
    killed: new Set(),
    paused: new Set(),
    clocks: new Map(),
    loss: new Set(),
  };
  const calls: string[] = [];
  const call = async (text: string, effect: () => void) => {
    calls.push(text);
    if (options.failOn?.(text)) throw new Error(`refused: ${text}`);
    effect();
  };
  const cluster: FakeCluster = {
    runId: 'test',
    nodes,
    faults,
    info: {},
    calls,
    state,
    start: (node) => call(`start ${node}`, () => state.killed.delete(node)),
    kill: (node) => call(`kill ${node}`, () => state.killed.add(node)),
    pause: (node) => call(`pause ${node}`, () => state.paused.add(node)),
    resume: (node) => call(`resume ${node}`, () => state.paused.delete(node)),
    partition: (grudge) => call(`partition ${JSON.stringify(grudge)}`, () => (state.grudge = grudge)),
    heal: () =>
      call('heal', () => {
        state.grudge = {};
        state.loss.clear();
      }),
    clock: (node, spec) =>
      call(`clock ${node} ${JSON.stringify(spec)}`, () => {
        if (spec.kind === 'reset') state.clocks.delete(node);
        else state.clocks.set(node, spec.seconds);
      }),
    net: (node, spec) => call(`net ${node} ${JSON.stringify(spec)}`, () => state.loss.add(node)),
    healAll: () =>
      call('healAll', () => {
        state.grudge = {};
        state.loss.clear();
        state.killed.clear();
        state.paused.clear();
        state.clocks.clear();
      }),
    logs: async () => '',
    ready: async () => true,
    stop: () => call('stop', () => {}),
  };
  return cluster;
}
