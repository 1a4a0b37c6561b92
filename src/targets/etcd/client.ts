/**
 * etcd client over its gRPC-gateway JSON API (/v3/kv/...), with plain keep-alive HTTP: no
 * dependency, works with every etcd 3.4+. Reads are linearizable by default (a Raft read
 * index), serializable with `serializable: true` (a member's local, possibly stale, state).
 * cas is a transaction comparing the value.
 */
import { type CasOp, type RegisterOp, registerDispatch } from '../../../workloads/register.js';
import { createAgent, httpCall, httpClient } from '../../clients/http.js';
import {
  type Client,
  type Completion,
  decodeValue,
  encodeValue,
  errorCompletion,
  spreadNode,
} from '../../clients/types.js';
import type { ClusterNode } from '../../runtime/cluster.js';
import type { ClientFactory } from '../types.js';

export const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
export const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

interface RangeResponse {
  kvs?: { value?: string }[];
}
interface TxnResponse {
  succeeded?: boolean;
}

export function etcdClient(
  node: ClusterNode,
  options: { timeoutMs: number; serializable?: boolean },
): Client<RegisterOp> {
  const agent = createAgent(2);
  const base = `http://${node.host}:${node.ports.client}/v3/kv`;
  const post = (path: string, body: unknown) =>
    httpCall(agent, 'POST', `${base}/${path}`, body, options.timeoutMs);

  const read = async (key: string): Promise<Completion> => {
    const r = await post('range', { key, serializable: options.serializable === true });
    if (r.status !== 200) return errorCompletion(true, true, etcdError(r.body, r.status));
    const kv = (JSON.parse(r.body) as RangeResponse).kvs?.[0];
    return { type: 'ok', value: kv ? decodeValue(unb64(kv.value ?? '')) : null };
  };
  const write = async (key: string, value: RegisterOp['value']): Promise<Completion> => {
    const r = await post('put', { key, value: b64(encodeValue(value)) });
    if (r.status !== 200) return errorCompletion(false, false, etcdError(r.body, r.status));
    return { type: 'ok', value };
  };
  const cas = async (key: string, op: CasOp): Promise<Completion> => {
    const [from, to] = op.value;
    const r = await post('txn', {
      compare: [{ key, target: 'VALUE', result: 'EQUAL', value: b64(encodeValue(from)) }],
      success: [{ request_put: { key, value: b64(encodeValue(to)) } }],
    });
    if (r.status !== 200) return errorCompletion(false, false, etcdError(r.body, r.status));
    const ok = (JSON.parse(r.body) as TxnResponse).succeeded === true;
    return ok ? { type: 'ok', value: op.value } : { type: 'fail', value: op.value, error: 'cas-mismatch' };
  };

  const run = registerDispatch((k) => b64(String(k)), { read, write, cas });

  return httpClient(node.name, agent, run);
}

/** A short machine-readable reason from a gateway error body ({"error": "...", "code": n}). */
export function etcdError(body: string, status: number): string {
  try {
    const parsed = JSON.parse(body) as { error?: string; message?: string };
    const msg = parsed.error ?? parsed.message;
    if (msg)
      return msg
        .replace(/^etcdserver: /, '')
        .replace(/\s+/g, '-')
        .slice(0, 60);
  } catch {}
  return `http-${status}`;
}

export const openEtcdRegisterClient: ClientFactory<{ serializable: boolean }, RegisterOp> = async (ctx) =>
  etcdClient(spreadNode(ctx.cluster, ctx.worker), {
    timeoutMs: ctx.timeoutMs,
    serializable: ctx.options.serializable,
  });
