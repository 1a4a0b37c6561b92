/**
 * Causal sessions' routing. A session is sticky (every operation on its home node) or roams
 * (each operation with `roam: true` goes to the next node of its rotation, so consecutive
 * operations of one session meet different replicas). The runner asks `nodeFor` before and
 * after an operation (the history's node fields): both answers name the node that served it.
 */
import { type CausalOp, causalAsRegister } from '../../workloads/causal.js';
import type { RegisterOp } from '../../workloads/register.js';
import type { ClusterNode } from '../runtime/cluster.js';
import type { Client } from './types.js';

/** The node of each operation: home, or the next in the rotation when it roams. */
export function sessionRoute<Op extends { roam?: boolean }>(
  nodes: readonly string[],
  home: number,
): (op: Op) => string {
  if (nodes.length === 0) throw new Error('no nodes to route to');
  const homeAt = home % nodes.length;
  let at = homeAt;
  let last: Op | undefined;
  let node = nodes[homeAt]!;
  return (op) => {
    if (op === last) return node;
    last = op;
    if (op.roam) at = (at + 1) % nodes.length;
    node = nodes[op.roam ? at : homeAt]!;
    return node;
  };
}

/**
 * A client that serves each operation on the node `route` names, through a client per node
 * opened on first use (`open`), after `adapt` turns the operation into that client's. The
 * inner clients must bound their own calls (faultline's HTTP and Redis clients do).
 */
export function routedClient<Op, Inner>(o: {
  home: string;
  route: (op: Op) => string;
  open: (node: string) => Client<Inner>;
  adapt: (op: Op) => Inner;
}): Client<Op> {
  const clients = new Map<string, Client<Inner>>();
  const clientOf = (node: string) => {
    let c = clients.get(node);
    if (!c) {
      c = o.open(node);
      clients.set(node, c);
    }
    return c;
  };
  return {
    node: o.home,
    nodeFor: o.route,
    boundedByTimeout: true,
    invoke: (op) => clientOf(o.route(op)).invoke(o.adapt(op)),
    async close() {
      await Promise.all([...clients.values()].map((c) => c.close()));
    },
  };
}

/**
 * The causal protocol over register clients, one per node: read and write on the session's
 * node (sticky) or the next one (roaming). For stores where any node serves reads and writes.
 */
export function causalOverRegister(
  nodes: readonly ClusterNode[],
  worker: number,
  open: (node: ClusterNode) => Client<RegisterOp>,
): Client<CausalOp> {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const names = nodes.map((n) => n.name);
  return routedClient<CausalOp, RegisterOp>({
    home: names[worker % names.length]!,
    route: sessionRoute(names, worker),
    open: (name) => open(byName.get(name)!),
    adapt: causalAsRegister,
  });
}
