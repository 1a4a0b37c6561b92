/**
 * Client for the HTTP key-value contract (any store that speaks it, faultline's kvstore
 * first): GET /kv/:key, PUT /kv/:key, POST /kv/:key/cas. Outcomes per the contract: a read's
 * 200/404 is ok, anything else fails; a write's 200 is ok, a cas's 409 fails (definitely not
 * swapped), any other status, reset or timeout is info.
 */
import type { Value } from '../history/op.js';
import type { ClusterNode } from '../runtime/cluster.js';
import { createAgent, httpCall, httpClient } from './http.js';
import {
  type Client,
  type ClientFactory,
  type ClientOp,
  type Completion,
  errorCompletion,
  spreadNode,
  unsupportedOp,
} from './types.js';

export function httpKvClient(node: ClusterNode, options: { timeoutMs: number }): Client {
  const agent = createAgent(2);
  const base = `http://${node.host}:${node.ports.client}/kv`;
  const call = (method: string, path: string, body?: unknown) =>
    httpCall(agent, method, `${base}/${path}`, body, options.timeoutMs);
  const reason = (status: number, body: string) => {
    try {
      const e = (JSON.parse(body) as { error?: unknown }).error;
      if (typeof e === 'string') return e.slice(0, 60);
    } catch {}
    return `http-${status}`;
  };

  async function run(op: ClientOp): Promise<Completion> {
    const key = encodeURIComponent(String(op.key));
    switch (op.f) {
      case 'read': {
        const r = await call('GET', key);
        if (r.status === 404) return { type: 'ok', value: null };
        if (r.status !== 200) return errorCompletion('read', true, reason(r.status, r.body));
        return { type: 'ok', value: (JSON.parse(r.body) as { value: Value }).value ?? null };
      }
      case 'write': {
        const r = await call('PUT', key, { value: op.value });
        if (r.status !== 200) return errorCompletion('write', false, reason(r.status, r.body));
        return { type: 'ok', value: op.value };
      }
      case 'cas': {
        const [from, to] = op.value as [Value, Value];
        const r = await call('POST', `${key}/cas`, { from, to });
        if (r.status === 200) return { type: 'ok', value: op.value };
        if (r.status === 409) return { type: 'fail', value: op.value, error: 'cas-mismatch' };
        return errorCompletion('cas', false, reason(r.status, r.body));
      }
      default:
        return unsupportedOp(op.f);
    }
  }

  return httpClient(node.name, agent, run);
}

export const openHttpKvClient: ClientFactory = async (cluster, worker, options) =>
  httpKvClient(spreadNode(cluster, worker), { timeoutMs: options.timeoutMs });
