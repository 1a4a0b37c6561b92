/**
 * A client speaks one target's protocol for one worker. Every invocation resolves (never
 * rejects) within its timeout with a classified completion:
 *   ok    it took effect; `value` is the result (what a read saw);
 *   fail  it certainly did not take effect (a definite error, a connection refused before
 *         sending, any failed read);
 *   info  unknown: it may or may not have taken effect (timeouts, resets after sending).
 */

import type { CompletionType, Key, Value } from '../history/op.js';
import type { Cluster } from '../runtime/cluster.js';

export interface ClientOp {
  f: string;
  key?: Key;
  value: Value;
}

export interface Completion {
  type: CompletionType;
  value: Value;
  error?: string;
}

export interface Client {
  /** The node this client talks to (the history's `node` field); may change with failover. */
  readonly node: string;
  invoke(op: ClientOp): Promise<Completion>;
  close(): Promise<void>;
  /**
   * True when `invoke` always resolves within its timeout by itself (faultline's clients do);
   * otherwise the runner adds a hard limit around every call.
   */
  readonly boundedByTimeout?: boolean;
}

export interface ClientOptions {
  /** Per-operation timeout, milliseconds. */
  timeoutMs: number;
  /** Target-specific client options (serializable reads, ...). */
  [option: string]: unknown;
}

/** Opens the client for worker `worker` (the target decides which node it talks to). */
export type ClientFactory = (cluster: Cluster, worker: number, options: ClientOptions) => Promise<Client>;

/** Node for a worker when clients spread over every node. */
export function spreadNode(cluster: Cluster, worker: number) {
  const node = cluster.nodes[worker % cluster.nodes.length];
  if (!node) throw new Error('cluster has no nodes');
  return node;
}

/** Register values travel as JSON text in stores that keep strings. */
export const encodeValue = (v: Value): string => JSON.stringify(v);
export function decodeValue(text: string): Value {
  try {
    return JSON.parse(text) as Value;
  } catch {
    return text;
  }
}

/** The completion for an error: reads fail; writes fail only if certainly not applied. */
export function errorCompletion(f: string, definite: boolean, error: string): Completion {
  return { type: f === 'read' || definite ? 'fail' : 'info', value: null, error };
}

export function unsupportedOp(f: string): Completion {
  return { type: 'fail', value: null, error: `unsupported-op:${f}` };
}
