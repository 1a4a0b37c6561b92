/**
 * Everything about a run that can be judged before anything starts: the target's and the
 * workload's options against their schemas, the topology and node count, a client for the
 * workload's protocol, the faults the target cannot take. A bad run fails here with one line
 * (`InvalidRunError`, which the CLI turns into exit 254), before any node or client exists.
 */
import type { z } from 'zod';
import type { FaultKind } from '../runtime/cluster.js';
import type { ClientFactory, DeployContext } from '../targets/types.js';
import type { RunOptions } from './run.js';

export class InvalidRunError extends Error {
  override name = 'InvalidRunError';
}

/**
 * One line for the first problem zod found, naming the field: `where.field: message` (options
 * of a target or workload) or, with `joiner` ': ', `file: field: message` (config files).
 */
export function zodLine(where: string, error: z.ZodError, joiner: '.' | ': ' = '.'): string {
  const issue = error.issues[0];
  if (!issue) return `${where}: ${error.message}`;
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    return `${where}: unknown ${joiner === '.' ? 'option' : 'field'} ${keys}`;
  }
  const path = issue.path.length > 0 ? `${joiner}${issue.path.join('.')}` : '';
  return `${where}${path}: ${issue.message}`;
}

export function parseWith<T>(what: string, schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input ?? {});
  if (!r.success) throw new InvalidRunError(zodLine(what, r.error));
  return r.data;
}

export interface Resolved {
  topology: string;
  nodes: number;
  targetOptions: Record<string, unknown>;
  workloadOptions: Record<string, unknown>;
  openClient: ClientFactory<unknown, never>;
  context: DeployContext;
}

export function resolveRun(
  o: Pick<
    RunOptions,
    'runtime' | 'target' | 'targetOptions' | 'topology' | 'nodes' | 'workload' | 'workloadOptions'
  > & {
    faults: readonly FaultKind[];
    runId: string;
  },
): Resolved {
  const { target, workload } = o;
  const topology = o.topology ?? target.defaultTopology;
  if (!target.topologies.includes(topology)) {
    throw new InvalidRunError(
      `target ${target.name}: unknown topology "${topology}" (known: ${target.topologies.join(', ')})`,
    );
  }
  const nodes = o.nodes ?? target.defaultNodes(topology);
  if (!Number.isInteger(nodes) || nodes < 1) throw new InvalidRunError('nodes must be an integer ≥ 1');
  const badCount = target.checkNodes?.(topology, nodes);
  if (badCount) throw new InvalidRunError(badCount);
  const openClient = target.clients[workload.protocol];
  if (!openClient) {
    const offered = Object.keys(target.clients);
    throw new InvalidRunError(
      `target ${target.name} has no client for the ${workload.protocol} protocol that workload ${workload.name} needs (it offers: ${offered.join(', ') || 'none'})`,
    );
  }
  const targetOptions = parseWith(`target ${target.name}`, target.options, o.targetOptions);
  const workloadOptions = parseWith(`workload ${workload.name}`, workload.options, o.workloadOptions);
  const context: DeployContext = {
    runId: o.runId,
    topology,
    faults: o.faults,
    clock: o.runtime.clock ?? 'libfaketime',
  };
  const unsupported = target.unsupported?.(targetOptions, context) ?? {};
  for (const fault of o.faults) {
    const reason = unsupported[fault];
    if (reason) throw new InvalidRunError(`fault "${fault}" is not supported: ${target.name}: ${reason}`);
  }
  return { topology, nodes, targetOptions, workloadOptions, openClient, context };
}
