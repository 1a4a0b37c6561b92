/**
 * etcd clients for the set, counter and causal workloads, over the gRPC-gateway JSON API as
 * client.ts. Reads are linearizable, or serializable with the target's `serializable` option.
 *   set      one key per element under the set's prefix (`set/<key>/<element>`, put); a read is
 *            one range over the prefix (keys only).
 *   counter  etcd has no increment: a compare-and-set loop, reading the value and its
 *            mod_revision (linearizably), then a txn that puts value + delta only if the
 *            mod_revision is unchanged; retried while the txn loses, within the operation's
 *            timeout. A txn with no answer is info; losing every try fails (nothing was put).
 *   causal   the register's read and put on the session's member (sticky) or the next (roaming).
 */
import type { CausalOp } from '../../../workloads/causal.js';
import { type CounterOp, counterDispatch } from '../../../workloads/counter.js';
import { type SetOp, setDispatch } from '../../../workloads/set.js';
import { createAgent, httpCall, httpClient } from '../../clients/http.js';
import { causalOverRegister } from '../../clients/session.js';
import { type Client, type Completion, errorCompletion, spreadNode } from '../../clients/types.js';
import type { ClusterNode } from '../../runtime/cluster.js';
import type { ClientFactory } from '../types.js';
import { b64, etcdClient, etcdError, unb64 } from './client.js';

interface EtcdOptions {
  timeoutMs: number;
  serializable?: boolean;
}

interface Kv {
  key?: string;
  value?: string;
  mod_revision?: string;
}

/** One member's /v3/kv calls; `post` takes its own timeout (what is left of the operation's). */
function member(node: ClusterNode) {
  const agent = createAgent(2);
  const base = `http://${node.host}:${node.ports.client}/v3/kv`;
  const post = (path: string, body: unknown, timeoutMs: number) =>
    httpCall(agent, 'POST', `${base}/${path}`, body, timeoutMs);
  return { agent, post };
}

/** The first key after every key that starts with `prefix` (etcd's range_end for a prefix). */
function prefixEnd(prefix: string): string {
  const bytes = Buffer.from(prefix, 'utf8');
  bytes[bytes.length - 1]!++;
  return bytes.toString('base64');
}

export function etcdSetClient(node: ClusterNode, o: EtcdOptions): Client<SetOp> {
  const { agent, post } = member(node);
  const run = setDispatch((k) => `set/${String(k)}/`, {
    async add(prefix, element): Promise<Completion> {
      const r = await post('put', { key: b64(`${prefix}${element}`), value: b64('1') }, o.timeoutMs);
      if (r.status !== 200) return errorCompletion(false, false, etcdError(r.body, r.status));
      return { type: 'ok', value: element };
    },
    async read(prefix): Promise<Completion> {
      const body = {
        key: b64(prefix),
        range_end: prefixEnd(prefix),
        keys_only: true,
        serializable: o.serializable === true,
      };
      const r = await post('range', body, o.timeoutMs);
      if (r.status !== 200) return errorCompletion(true, true, etcdError(r.body, r.status));
      const kvs = (JSON.parse(r.body) as { kvs?: Kv[] }).kvs ?? [];
      const elements = kvs
        .map((kv) => Number(unb64(kv.key ?? '').slice(prefix.length)))
        .sort((a, b) => a - b);
      return { type: 'ok', value: elements };
    },
  });
  return httpClient(node.name, agent, run);
}

/** The counter's value and mod_revision ('0' when absent), read linearizably. */
async function readCounter(
  post: ReturnType<typeof member>['post'],
  key: string,
  timeoutMs: number,
  serializable = false,
) {
  const r = await post('range', { key: b64(key), serializable }, timeoutMs);
  if (r.status !== 200) throw new Error(etcdError(r.body, r.status));
  const kv = (JSON.parse(r.body) as { kvs?: Kv[] }).kvs?.[0];
  return { value: kv ? Number(unb64(kv.value ?? '')) : 0, revision: kv?.mod_revision ?? '0' };
}

export function etcdCounterClient(node: ClusterNode, o: EtcdOptions): Client<CounterOp> {
  const { agent, post } = member(node);
  const incr = async (key: string, delta: number): Promise<Completion> => {
    const deadline = Date.now() + o.timeoutMs;
    const left = () => Math.max(1, deadline - Date.now());
    while (Date.now() < deadline) {
      let current: Awaited<ReturnType<typeof readCounter>>;
      try {
        current = await readCounter(post, key, left());
      } catch (e) {
        // Only reads since the last txn lost: nothing was put.
        return errorCompletion(false, true, `read: ${(e as Error).message}`.slice(0, 60));
      }
      const compare = [{ key: b64(key), target: 'MOD', result: 'EQUAL', mod_revision: current.revision }];
      const success = [{ request_put: { key: b64(key), value: b64(String(current.value + delta)) } }];
      const t = await post('txn', { compare, success }, left());
      if (t.status !== 200) return errorCompletion(false, false, etcdError(t.body, t.status));
      if ((JSON.parse(t.body) as { succeeded?: boolean }).succeeded === true)
        return { type: 'ok', value: delta };
    }
    return { type: 'fail', value: delta, error: 'cas-lost-every-try' };
  };
  const run = counterDispatch(String, {
    incr,
    async read(key): Promise<Completion> {
      try {
        return { type: 'ok', value: (await readCounter(post, key, o.timeoutMs, o.serializable)).value };
      } catch (e) {
        return errorCompletion(true, true, (e as Error).message);
      }
    },
  });
  return httpClient(node.name, agent, run);
}

type Serializable = { serializable: boolean };

export const openEtcdSetClient: ClientFactory<Serializable, SetOp> = async (ctx) =>
  etcdSetClient(spreadNode(ctx.cluster, ctx.worker), {
    timeoutMs: ctx.timeoutMs,
    serializable: ctx.options.serializable,
  });

export const openEtcdCounterClient: ClientFactory<Serializable, CounterOp> = async (ctx) =>
  etcdCounterClient(spreadNode(ctx.cluster, ctx.worker), {
    timeoutMs: ctx.timeoutMs,
    serializable: ctx.options.serializable,
  });

export const openEtcdCausalClient: ClientFactory<Serializable, CausalOp> = async (ctx) =>
  causalOverRegister(ctx.cluster.nodes, ctx.worker, (node) =>
    etcdClient(node, { timeoutMs: ctx.timeoutMs, serializable: ctx.options.serializable }),
  );
