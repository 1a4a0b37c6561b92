/**
 * Who sent a connection to an etcd member's peer port. Every member dials a peer at the one
 * peer URL the peer advertises, so a proxy there cannot tell senders by route; but rafthttp's
 * requests (the stream GETs /raft/stream/{message,msgapp}/<id>, pipeline and snapshot POSTs)
 * carry `X-Server-From: <sender's member id, hex>`. Checked against etcd 3.4.23: the other peer
 * requests (GET /members at bootstrap, the leader's GET /version, the prober's GET
 * /raft/probing) name no sender. The prober shares the pipeline's HTTP transport, so one
 * connection may carry a probe first and Raft messages later: the proxy keeps looking until
 * a request names its sender (one connection has one dialer, so the name holds).
 */
import { createHash } from 'node:crypto';

/**
 * A member's id as etcd derives it for an initial cluster (etcdserver/api/membership
 * NewMember): the first 8 bytes, big-endian, of sha1(sorted peer URLs + cluster token), in hex.
 */
export function memberId(peerUrls: readonly string[], token: string): string {
  const hash = createHash('sha1')
    .update([...peerUrls].sort().join('') + token)
    .digest();
  return hash.readBigUInt64BE(0).toString(16);
}

const MARKER = Buffer.from('\r\nX-Server-From: ');

/** The identify hook of the peer port: member ids (hex) to node names. */
export function senderOf(members: ReadonlyMap<string, string>): (data: Buffer) => string | undefined {
  return (data) => {
    const at = data.indexOf(MARKER);
    if (at < 0) return undefined;
    const start = at + MARKER.length;
    const end = data.indexOf(13, start);
    if (end < 0) return undefined;
    return members.get(data.toString('latin1', start, end).trim().toLowerCase());
  };
}
