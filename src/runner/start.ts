/**
 * Bringing a target up on a runtime: slots first (where each node will be), then the target's
 * deployment for those slots, then the runtime starts it and waits until it is ready.
 * Whatever fails on the way gives the slots back.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cluster, FaultKind } from '../runtime/cluster.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Target } from '../targets/types.js';
import { newRunId } from './meta.js';
import { parseWith, type Resolved } from './preflight.js';
import type { FullRunOptions } from './run.js';

export interface LaunchOptions {
  runId?: string;
  /** The target's options (parsed by its schema here; defaults filled in). */
  targetOptions?: Record<string, unknown>;
  topology?: string;
  nodes?: number;
  /** Fault families the cluster must be deployed for (Redis runs under libfaketime for clock). */
  faults?: readonly FaultKind[];
  logDir?: string;
  onEvent?: (message: string) => void;
  signal?: AbortSignal;
}

/** A target's cluster on a runtime, outside a run (tests, benchmarks, a user's own tooling). */
export async function launch(runtime: Runtime, target: Target, o: LaunchOptions = {}): Promise<Cluster> {
  const topology = o.topology ?? target.defaultTopology;
  const options = parseWith(`target ${target.name}`, target.options, o.targetOptions);
  const context = {
    runId: o.runId ?? newRunId(),
    topology,
    faults: o.faults ?? [],
    clock: runtime.clock ?? ('libfaketime' as const),
  };
  const placement = await runtime.allocate({
    runId: context.runId,
    nodes: o.nodes ?? target.defaultNodes(topology),
    ports: target.ports(topology, options),
    logDir: o.logDir ?? mkdtempSync(join(tmpdir(), 'faultline-logs-')),
    faults: context.faults,
    onEvent: o.onEvent,
    signal: o.signal,
  });
  try {
    const deployment = await target.deploy(options, context, placement.slots);
    // What the target cannot take with these options, besides what this deployment says.
    deployment.unsupported = { ...target.unsupported?.(options, context), ...deployment.unsupported };
    return await placement.start(deployment);
  } catch (e) {
    await placement.release();
    throw e;
  }
}

export const startCluster = (o: FullRunOptions, resolved: Resolved, runId: string, logDir: string) =>
  launch(o.runtime, o.target, {
    runId,
    targetOptions: resolved.targetOptions,
    topology: resolved.topology,
    nodes: resolved.nodes,
    faults: resolved.context.faults,
    logDir,
    onEvent: o.onEvent,
    signal: o.signal,
  });
