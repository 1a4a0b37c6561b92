/**
 * Client for the HTTP key-value contract (any store that speaks it, faultline's kvstore
 * first): GET /kv/:key, PUT /kv/:key, POST /kv/:key/cas. Outcomes per the contract: a read's
 * 200/404 is ok, anything else fails; a write's 200 is ok, a cas's 409 fails (definitely not
 * swapped), any other status, reset or timeout is info.
 */
import { type CasOp, type RegisterOp, registerDispatch } from '../../workloads/register.js';
import type { ClusterNode } from '../runtime/cluster.js';
import { createAgent, httpCall, httpClient } from './http.js';
import { type Client, type Completion, errorCompletion } from './types.js';

export function httpKvClient(node: ClusterNode, options: { timeoutMs: number }): Client<RegisterOp> {
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

  const read = async (key: string): Promise<Completion> => {
    const r = await call('GET', key);
    if (r.status === 404) return { type: 'ok', value: null };
    if (r.status !== 200) return errorCompletion(true, true, reason(r.status, r.body));
    return { type: 'ok', value: (JSON.parse(r.body) as { value: RegisterOp['value'] }).value ?? null };
  };
  const write = async (key: string, value: RegisterOp['value']): Promise<Completion> => {
    const r = await call('PUT', key, { value });
    if (r.status !== 200) return errorCompletion(false, false, reason(r.status, r.body));
    return { type: 'ok', value };
  };
  const cas = async (key: string, op: CasOp): Promise<Completion> => {
    const [from, to] = op.value;
    const r = await call('POST', `${key}/cas`, { from, to });
    if (r.status === 200) return { type: 'ok', value: op.value };
    if (r.status === 409) return { type: 'fail', value: op.value, error: 'cas-mismatch' };
    return errorCompletion(false, false, reason(r.status, r.body));
  };

  const run = registerDispatch((k) => encodeURIComponent(String(k)), { read, write, cas });

  return httpClient(node.name, agent, run);
}
