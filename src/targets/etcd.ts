/**
 * etcd: a Raft cluster of 3 nodes by default (Debian's etcd-server), all members, clients
 * spread over them. Pre-vote is on by default (a partitioned node coming back does not force
 * an election); `preVote: false` turns it off.
 */
import { httpCall, probe } from '../clients/http.js';
import type { Deployment, Target, TargetOptions } from './types.js';

export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;

export const etcdTarget: Target = {
  name: 'etcd',
  topologies: ['cluster'],
  defaultTopology: 'cluster',
  defaultNodes: () => 3,
  plan(options: TargetOptions, hosts: readonly string[]): Deployment {
    if (options.topology !== 'cluster') {
      throw new Error(`etcd has one topology, "cluster" (got "${options.topology}")`);
    }
    if (hosts.length < 1 || hosts.length > 9) throw new Error(`etcd: 1 to 9 nodes (got ${hosts.length})`);
    const names = hosts.map((_, i) => `n${i + 1}`);
    const initialCluster = names.map((n, i) => `${n}=http://${hosts[i]}:${ETCD_PEER_PORT}`).join(',');
    const preVote = options.preVote !== false;
    const nodes = hosts.map((host, i) => ({
      name: names[i]!,
      host,
      role: 'member',
      ports: { client: ETCD_CLIENT_PORT, peer: ETCD_PEER_PORT },
      command: [
        '/usr/bin/etcd',
        `--name=${names[i]}`,
        '--data-dir=/data/etcd',
        `--listen-client-urls=http://0.0.0.0:${ETCD_CLIENT_PORT}`,
        `--advertise-client-urls=http://${host}:${ETCD_CLIENT_PORT}`,
        `--listen-peer-urls=http://0.0.0.0:${ETCD_PEER_PORT}`,
        `--initial-advertise-peer-urls=http://${host}:${ETCD_PEER_PORT}`,
        `--initial-cluster=${initialCluster}`,
        '--initial-cluster-state=new',
        `--initial-cluster-token=faultline-${options.runId}`,
        `--pre-vote=${preVote}`,
        '--heartbeat-interval=100',
        '--election-timeout=1000',
        '--logger=zap',
      ],
    }));
    return {
      target: 'etcd',
      topology: 'cluster',
      nodes,
      mounts: [],
      unsupported: {
        clock:
          'etcd is a Go program: it reads the clock through the vDSO, which libfaketime cannot intercept, so clock skew would have no effect',
      },
      info: { preVote, serializableReads: options.serializable === true },
      version: async (node) => {
        const r = await httpCall(
          undefined,
          'GET',
          `http://${node.host}:${node.ports.client}/version`,
          undefined,
          1000,
        );
        return (JSON.parse(r.body) as { etcdserver?: string }).etcdserver ?? 'unknown';
      },
      // /health answers true only when the member sees a leader (and the cluster has quorum).
      ready: (node) =>
        probe(`http://${node.host}:${node.ports.client}/health`, 1000, (b) => /"health":\s*"true"/.test(b)),
    };
  },
};
