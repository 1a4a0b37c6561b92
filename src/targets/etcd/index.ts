/**
 * etcd: a Raft cluster of 3 nodes by default (Debian's etcd-server), all members, clients
 * spread over them. Pre-vote is on by default (a partitioned node coming back does not force
 * an election); `preVote: false` turns it off. Reads are linearizable unless `serializable`.
 */
import { z } from 'zod';
import { httpCall, probe } from '../../clients/http.js';
import { advertisedAddress } from '../../runtime/runtime.js';
import { defineTarget } from '../types.js';
import { openEtcdRegisterClient } from './client.js';
import { memberId, senderOf } from './peers.js';
import { etcdLeader } from './primaries.js';
import { openEtcdCausalClient, openEtcdCounterClient, openEtcdSetClient } from './protocols.js';

const options = z
  .object({
    preVote: z.boolean().default(true).describe('Raft pre-vote (--no-pre-vote turns it off)'),
    serializable: z
      .boolean()
      .default(false)
      .describe("serializable reads (a member's local state) instead of linearizable"),
    binary: z.string().default('/usr/bin/etcd').describe('path of the etcd binary on the node'),
  })
  .strict();

export const etcdTarget = defineTarget<z.infer<typeof options>>({
  name: 'etcd',
  description: 'etcd (Raft), 3 members by default',
  options,
  topologies: ['cluster'],
  defaultTopology: 'cluster',
  defaultNodes: () => 3,
  checkNodes: (_, n) => (n < 1 || n > 9 ? `etcd: 1 to 9 nodes (got ${n})` : undefined),
  ports: () => ({ client: 2379, peer: 2380 }),
  deploy(o, ctx, slots) {
    const url = (host: string, port: number | undefined) => `http://${host}:${port}`;
    // Peers dial the advertised URL; the node listens on its own port (the same but locally).
    // Through the proxy (local runtime) only when the run cuts links: its hop slows Raft.
    const routed = ctx.faults.includes('partition');
    const peerUrl = (s: (typeof slots)[number]) =>
      `http://${routed ? advertisedAddress(s, 'peer') : `${s.host}:${s.ports.peer}`}`;
    const initialCluster = slots.map((s) => `${s.name}=${peerUrl(s)}`).join(',');
    const token = `faultline-${ctx.runId}`;
    const members = new Map(slots.map((s) => [memberId([peerUrl(s)], token), s.name]));
    return {
      nodes: slots.map((s) => ({
        name: s.name,
        role: 'member',
        command: [
          o.binary,
          `--name=${s.name}`,
          `--data-dir=${s.dataDir}/etcd`,
          `--listen-client-urls=${url(s.host, s.ports.client)}`,
          `--advertise-client-urls=${url(s.host, s.ports.client)}`,
          `--listen-peer-urls=${url(s.host, s.ports.peer)}`,
          `--initial-advertise-peer-urls=${peerUrl(s)}`,
          `--initial-cluster=${initialCluster}`,
          '--initial-cluster-state=new',
          `--initial-cluster-token=${token}`,
          `--pre-vote=${o.preVote}`,
          '--heartbeat-interval=100',
          '--election-timeout=1000',
          '--logger=zap',
        ],
      })),
      identify: { peer: senderOf(members) },
      ...(slots[0]?.advertise && !routed
        ? {
            unsupported: {
              partition:
                "the cluster was deployed without partitions: members reach each other through the proxy (which names each peer connection's sender) only when the run asks for partitions",
            },
          }
        : {}),
      info: {
        preVote: o.preVote,
        serializableReads: o.serializable,
        members: Object.fromEntries([...members].map(([id, name]) => [name, id])),
      },
      version: async (node) => {
        const r = await httpCall(
          undefined,
          'GET',
          `${url(node.host, node.ports.client)}/version`,
          undefined,
          1000,
        );
        return (JSON.parse(r.body) as { etcdserver?: string }).etcdserver ?? 'unknown';
      },
      // /health answers true only when the member sees a leader (and the cluster has quorum).
      ready: (node) =>
        probe(`${url(node.host, node.ports.client)}/health`, 1000, (b) => /"health":\s*"true"/.test(b)),
    };
  },
  clients: {
    register: openEtcdRegisterClient,
    set: openEtcdSetClient,
    counter: openEtcdCounterClient,
    causal: openEtcdCausalClient,
  },
  primaries: (cluster) => etcdLeader(cluster),
  // Go's panics and fatal errors, the race detector, and zap's panic/fatal levels.
  logPatterns: ['^panic: ', '^fatal error: ', 'WARNING: DATA RACE', '"level":"(panic|fatal|dpanic)"'],
  // On a runtime that sets the node's system clock (ssh), clock faults reach etcd too.
  unsupported: (_o, ctx) =>
    ctx.clock === 'system'
      ? {}
      : {
          clock:
            'etcd is a Go program: it reads the clock through the vDSO, which libfaketime cannot intercept, so clock skew would have no effect',
        },
});
