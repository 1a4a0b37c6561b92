/**
 * Clients for the HTTP key-value contract (any store that speaks it, faultline's kvstore
 * first), one per workload protocol: register (GET /kv/:key, PUT /kv/:key, POST
 * /kv/:key/cas), set (POST /kv/:key/add, a read returns the sorted array), counter (POST
 * /kv/:key/incr, a read returns the number) and causal (register reads and writes on the
 * session's node or the next, see session.ts). Outcomes per the contract: a read's 200/404 is
 * ok, anything else fails; an update's 200 is ok, a 400 (malformed, wrong type) fails, a cas's
 * 409 fails (definitely not swapped), any other status, reset or timeout is info.
 */
import type { CausalOp } from '../../workloads/causal.js';
import { type CounterOp, counterDispatch } from '../../workloads/counter.js';
import { type CasOp, type RegisterOp, registerDispatch } from '../../workloads/register.js';
import { type SetOp, setDispatch } from '../../workloads/set.js';
import type { ClusterNode } from '../runtime/cluster.js';
import { createAgent, type HttpResponse, httpCall, httpClient } from './http.js';
import { causalOverRegister } from './session.js';
import { type Client, type Completion, errorCompletion } from './types.js';

interface KvOptions {
  timeoutMs: number;
}

function reason(r: HttpResponse): string {
  try {
    const e = (JSON.parse(r.body) as { error?: unknown }).error;
    if (typeof e === 'string') return e.slice(0, 60);
  } catch {}
  return `http-${r.status}`;
}

/** One node's contract: a keep-alive agent and calls on /kv/<path>. */
function kvNode(node: ClusterNode, o: KvOptions) {
  const agent = createAgent(2);
  const base = `http://${node.host}:${node.ports.client}/kv`;
  const call = (method: string, path: string, body?: unknown) =>
    httpCall(agent, method, `${base}/${path}`, body, o.timeoutMs);
  /** GET: the value, null when the key has none; fails on anything else. */
  const get = async (key: string, absent: RegisterOp['value']): Promise<Completion> => {
    const r = await call('GET', key);
    if (r.status === 404) return { type: 'ok', value: absent };
    if (r.status !== 200) return errorCompletion(true, true, reason(r));
    return { type: 'ok', value: (JSON.parse(r.body) as { value: RegisterOp['value'] }).value ?? absent };
  };
  /** An update's outcome: ok on 200, fail on 400 (certainly not applied), otherwise info. */
  const update = (r: HttpResponse, value: RegisterOp['value']): Completion =>
    r.status === 200 ? { type: 'ok', value } : errorCompletion(false, r.status === 400, reason(r));
  return { agent, call, get, update };
}

const keyPath = (k: unknown) => encodeURIComponent(String(k));

export function httpKvClient(node: ClusterNode, options: KvOptions): Client<RegisterOp> {
  const { agent, call, get, update } = kvNode(node, options);
  const cas = async (key: string, op: CasOp): Promise<Completion> => {
    const [from, to] = op.value;
    const r = await call('POST', `${key}/cas`, { from, to });
    if (r.status === 409) return { type: 'fail', value: op.value, error: 'cas-mismatch' };
    return update(r, op.value);
  };
  const run = registerDispatch(keyPath, {
    read: (key) => get(key, null),
    write: async (key, value) => update(await call('PUT', key, { value }), value),
    cas,
  });
  return httpClient(node.name, agent, run);
}

/** The set protocol: add = POST /kv/:key/add {element}; read = GET, a sorted array ([] if none). */
export function httpKvSetClient(node: ClusterNode, options: KvOptions): Client<SetOp> {
  const { agent, call, get, update } = kvNode(node, options);
  const run = setDispatch(keyPath, {
    read: (key) => get(key, []),
    add: async (key, element) => update(await call('POST', `${key}/add`, { element }), element),
  });
  return httpClient(node.name, agent, run);
}

/** The counter protocol: incr = POST /kv/:key/incr {delta} (ok carries the delta); read = GET (0 if none). */
export function httpKvCounterClient(node: ClusterNode, options: KvOptions): Client<CounterOp> {
  const { agent, call, get, update } = kvNode(node, options);
  const run = counterDispatch(keyPath, {
    read: (key) => get(key, 0),
    incr: async (key, delta) => update(await call('POST', `${key}/incr`, { delta }), delta),
  });
  return httpClient(node.name, agent, run);
}

/** The causal protocol: register reads and writes on the worker's node (sticky) or the next (roaming). */
export function httpKvCausalClient(
  nodes: readonly ClusterNode[],
  worker: number,
  options: KvOptions,
): Client<CausalOp> {
  return causalOverRegister(nodes, worker, (node) => httpKvClient(node, options));
}
