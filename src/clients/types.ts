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

/** What every workload operation looks like to the runner and the history. */
export interface OperationBase {
  f: string;
  key?: Key;
  value: Value;
}

export interface Completion {
  type: CompletionType;
  value: Value;
  error?: string;
}

export interface Client<Op = OperationBase> {
  /** The node this client talks to (the history's `node` field); may change with failover. */
  readonly node: string;
  /**
   * The node that serves this operation, for a client that routes per operation (reads to a
   * replica, writes to the primary). Absent: `node`.
   */
  nodeFor?(op: Op): string;
  invoke(op: Op): Promise<Completion>;
  close(): Promise<void>;
  /**
   * True when `invoke` always resolves within its timeout by itself (faultline's clients do);
   * otherwise the runner adds a hard limit around every call.
   */
  readonly boundedByTimeout?: boolean;
}

/** Node for a worker when clients spread over every node. */
export function spreadNode(cluster: Pick<Cluster, 'nodes'>, worker: number) {
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
export function errorCompletion(readOnly: boolean, definite: boolean, error: string): Completion {
  return { type: readOnly || definite ? 'fail' : 'info', value: null, error };
}
