/**
 * kvstore: faultline's own leaderless store (src/kvstore), N nodes (3 by default), clients
 * spread over every node. Each node runs faultline's compiled code with the host's node, under
 * libfaketime so the clock fault can skew it.
 *
 * The store's code is bundled with esbuild into a directory the runtime shares with the nodes.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { probe } from '../../clients/http.js';
import {
  httpKvCausalClient,
  httpKvClient,
  httpKvCounterClient,
  httpKvSetClient,
} from '../../clients/http-kv.js';
import { spreadNode } from '../../clients/types.js';
import { validateConfig } from '../../kvstore/server.js';
import { bundleOnce } from '../../runtime/bundle.js';
import { type NodeSlot, peerAddress } from '../../runtime/runtime.js';
import { defineTarget } from '../types.js';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The node's entry script, as a host path: the store bundled once per process into a
 * directory of its own (from dist/ when faultline runs compiled, from the TypeScript sources
 * in tests), so a node sees the store's code and nothing else of the checkout.
 */
async function nodeCode(): Promise<{ dir: string; file: string }> {
  const dir = await bundleOnce({
    what: 'kvstore code',
    dir: join(here, '..', '..', 'kvstore'),
    entry: 'main.js',
    outfile: 'main.mjs',
    tmpPrefix: 'faultline-kvstore-',
  });
  return { dir, file: 'main.mjs' };
}

const count = (what: string) => z.number().int().min(1).optional().describe(what);

const options = z
  .object({
    replicas: count('N, replicas per key (default: all nodes)'),
    readQuorum: count('R (default: majority of N)'),
    writeQuorum: count('W (default: majority of N)'),
    readRepair: z.boolean().default(false).describe('repair stale replicas after reads'),
    replicationDelayMs: z.number().int().min(0).default(0).describe('added latency between replicas, ms'),
    internalTimeoutMs: z.number().int().min(1).default(1000).describe("replica calls' timeout, ms"),
    mode: z
      .enum(['legacy', 'correct'])
      .default('legacy')
      .describe('legacy: wall-clock LWW, no write-back, racy cas; correct: linearizable (CASPaxos per key)'),
    clock: z
      .enum(['wall', 'logical'])
      .optional()
      .describe('override: wall-clock (breaks under skew) or Lamport'),
    writeBack: z.boolean().optional().describe('override: reads write the newest value back to a quorum'),
    readOne: z.boolean().optional().describe('override: reads answered by one replica (stale reads)'),
    cas: z
      .enum(['racy', 'atomic'])
      .optional()
      .describe('override: read-then-write cas/add/incr, or one Paxos round'),
    durable: z
      .boolean()
      .default(true)
      .describe('replicas keep state on disk (a killed node restarts with it)'),
  })
  .strict();

type KvOptions = z.infer<typeof options>;

function quorums(o: KvOptions, nodes: number) {
  const n = o.replicas ?? nodes;
  const majority = Math.floor(n / 2) + 1;
  return { n, r: o.readQuorum ?? majority, w: o.writeQuorum ?? majority };
}

/** What every node shares; each node's own peer list is added per node (per-pair routes). */
function nodeEnv(o: KvOptions, slots: readonly NodeSlot[]): Record<string, string> {
  const { n, r, w } = quorums(o, slots.length);
  const peers = Object.fromEntries(slots.map((s) => [s.name, `${s.host}:${s.ports.client}`]));
  validateConfig({ n, r, w, peers });
  return {
    KV_N: String(n),
    KV_R: String(r),
    KV_W: String(w),
    KV_READ_REPAIR: o.readRepair ? '1' : '0',
    KV_REPLICATION_DELAY_MS: String(o.replicationDelayMs),
    KV_TIMEOUT_MS: String(o.internalTimeoutMs),
    KV_MODE: o.mode,
    ...(o.clock ? { KV_CLOCK: o.clock } : {}),
    ...(o.writeBack !== undefined ? { KV_WRITE_BACK: o.writeBack ? '1' : '0' } : {}),
    ...(o.readOne !== undefined ? { KV_READ_ONE: o.readOne ? '1' : '0' } : {}),
    ...(o.cas ? { KV_CAS: o.cas } : {}),
  };
}

export const kvstoreTarget = defineTarget<KvOptions>({
  name: 'kvstore',
  description: "faultline's own leaderless N/R/W store (last-write-wins, the Dynamo design)",
  options,
  topologies: ['leaderless'],
  defaultTopology: 'leaderless',
  defaultNodes: () => 3,
  ports: () => ({ client: 8000 }),
  async deploy(o, _ctx, slots) {
    const code = await nodeCode();
    const env = nodeEnv(o, slots);
    return {
      nodes: slots.map((s) => ({
        name: s.name,
        role: 'replica',
        command: [process.execPath, join(s.share(code.dir), code.file)],
        env: {
          ...env,
          KV_NODE: s.name,
          KV_PORT: String(s.ports.client),
          ...(o.durable ? { KV_DATA_DIR: s.dataDir } : {}),
          // Itself directly; every other node by the route the runtime gives this pair.
          KV_PEERS: slots
            .map((p) => `${p.name}=${p === s ? `${p.host}:${p.ports.client}` : peerAddress(s, p, 'client')}`)
            .join(','),
        },
        fakeClock: true,
      })),
      info: {
        ...quorums(o, slots.length),
        mode: o.mode,
        ...(o.clock ? { clock: o.clock } : {}),
        ...(o.writeBack !== undefined ? { writeBack: o.writeBack } : {}),
        ...(o.readOne !== undefined ? { readOne: o.readOne } : {}),
        ...(o.cas ? { cas: o.cas } : {}),
        durable: o.durable,
        readRepair: o.readRepair,
        replicationDelayMs: o.replicationDelayMs,
      },
      version: async () => `faultline kvstore (node ${process.version})`,
      ready: (node) => probe(`http://${node.host}:${node.ports.client}/health`),
    };
  },
  clients: {
    register: async (ctx) => httpKvClient(spreadNode(ctx.cluster, ctx.worker), { timeoutMs: ctx.timeoutMs }),
    set: async (ctx) => httpKvSetClient(spreadNode(ctx.cluster, ctx.worker), { timeoutMs: ctx.timeoutMs }),
    counter: async (ctx) =>
      httpKvCounterClient(spreadNode(ctx.cluster, ctx.worker), { timeoutMs: ctx.timeoutMs }),
    causal: async (ctx) => httpKvCausalClient(ctx.cluster.nodes, ctx.worker, { timeoutMs: ctx.timeoutMs }),
  },
});
