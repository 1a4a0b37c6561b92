/**
 * A runtime without Docker for testing the run loop's logic: nodes are entries in memory, the
 * "database" one shared register map, and the fault calls act on a FakeCluster's state. The
 * fake target's register client answers from the map unless its node is killed (refused: a
 * definite failure) or paused (no answer until the client's timeout: info). Real runtimes are
 * tested against real databases elsewhere; this one only drives the runner.
 */
import { z } from 'zod';
import type { Client, Completion } from '../../src/clients/types.js';
import type { Value } from '../../src/history/op.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { defineTarget, type Target } from '../../src/targets/types.js';
import type { RegisterOp } from '../../workloads/register.js';
import { type FakeCluster, fakeCluster } from '../nemesis/fake-cluster.js';

export interface FakeWorld {
  runtime: Runtime;
  target: Target;
  /** The cluster of the last start (undefined before). */
  cluster(): FakeCluster | undefined;
  store: Map<string, Value>;
}

export interface FakeOptions {
  /** Answer `info` (unknown) to every n-th write, after applying it. */
  infoEvery?: number;
  /** Reads answer the value before the last write (a stale store). */
  stale?: boolean;
  /** The target offers no register client. */
  noClient?: boolean;
}

export function fakeWorld(fo: FakeOptions = {}): FakeWorld {
  const store = new Map<string, Value>();
  const previous = new Map<string, Value>();
  let current: FakeCluster | undefined;
  let writes = 0;

  const answer = async (node: string, timeoutMs: number, fn: () => Completion): Promise<Completion> => {
    const c = current!;
    if (c.state.killed.has(node)) return { type: 'fail', value: null, error: 'refused' };
    if (c.state.paused.has(node)) {
      await new Promise((r) => setTimeout(r, timeoutMs));
      return { type: 'info', value: null, error: 'timeout' };
    }
    return fn();
  };
  const apply = (op: RegisterOp): Completion => {
    const key = String(op.key);
    if (op.f === 'read') {
      const v = fo.stale && previous.has(key) ? previous.get(key)! : (store.get(key) ?? null);
      return { type: 'ok', value: v };
    }
    if (op.f === 'cas' && (store.get(key) ?? null) !== op.value[0])
      return { type: 'fail', value: op.value, error: 'cas-mismatch' };
    previous.set(key, store.get(key) ?? null);
    store.set(key, op.f === 'write' ? op.value : op.value[1]);
    writes++;
    if (fo.infoEvery && writes % fo.infoEvery === 0) return { type: 'info', value: null, error: 'timeout' };
    return { type: 'ok', value: op.value };
  };

  const target = defineTarget({
    name: 'fake',
    description: 'in-memory register for run-loop tests',
    options: z.object({ flavour: z.enum(['plain', 'odd']).default('plain') }).strict(),
    topologies: ['mesh'],
    defaultTopology: 'mesh',
    defaultNodes: () => 3,
    ports: () => ({ client: 1 }),
    deploy: (_o, _ctx, slots) => ({
      nodes: slots.map((s) => ({ name: s.name, role: 'replica', command: ['true'] })),
      ready: async () => true,
    }),
    clients: fo.noClient
      ? {}
      : {
          register: async (ctx): Promise<Client<RegisterOp>> => {
            const node = ctx.cluster.nodes[ctx.worker % ctx.cluster.nodes.length]!.name;
            return {
              node,
              boundedByTimeout: true,
              invoke: (op) => answer(node, ctx.timeoutMs, () => apply(op)),
              close: async () => {},
            };
          },
        },
    primaries: async () => ['n1'],
  });

  const runtime: Runtime = {
    name: 'fake',
    probe: async () => ({
      available: { supported: true },
      faults: Object.fromEntries(
        ['partition', 'kill', 'pause', 'clock', 'loss', 'latency'].map((f) => [f, { supported: true }]),
      ) as never,
      info: {},
    }),
    async allocate(req) {
      const slots = Array.from({ length: req.nodes }, (_, i) => ({
        name: `n${i + 1}`,
        host: '127.0.0.1',
        ports: { ...req.ports },
        dataDir: `/tmp/fake/n${i + 1}`,
        share: (p: string) => p,
      }));
      return {
        slots,
        info: {},
        async start(deployment) {
          current = fakeCluster(deployment.nodes.length);
          return current;
        },
        release: async () => {},
      };
    },
    clean: async () => [],
    stopAll: async () => {},
  };
  return { runtime, target, cluster: () => current, store };
}
