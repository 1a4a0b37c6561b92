/**
 * Running part of the keys on a worker thread (P-compositionality across cores). Only from the
 * compiled JavaScript (a worker cannot load the TypeScript sources); elsewhere the caller
 * stays in its own thread.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Key } from '../../history/op.js';
import type { EvidenceOp, KeyEvidence } from './check.js';
import type { ModelOp } from './model.js';
import type { ModelOptions } from './models/index.js';
import type { Algorithm } from './search/index.js';

export type PlainOp = ModelOp & EvidenceOp;

export interface WorkerTask {
  model: string;
  modelOptions: ModelOptions;
  /** The keys' indices in the caller's numbering, their keys, and their operations. */
  indices: number[];
  keys: (Key | null)[];
  groups: PlainOp[][];
  remainingMs: number | null;
  memoBytes: number;
  allKeys: boolean;
  sliceSteps: number | undefined;
  /** False: the WGL search only. */
  uniqueWrites: boolean;
  /** Int32Array[1] over shared memory: 1 = stop. */
  cancel: SharedArrayBuffer;
}

export interface WorkerResult {
  keys: {
    index: number;
    outcome: {
      valid: boolean | 'unknown';
      configs: number;
      ms: number;
      reason?: 'time-limit' | 'memory-limit';
      algorithm?: Algorithm;
    };
    evidence: KeyEvidence | undefined;
  }[];
}

const workerUrl = new URL('./worker.js', import.meta.url);

/** True when worker threads can run the checker (compiled JS beside this module). */
export const workersAvailable = (): boolean =>
  import.meta.url.endsWith('.js') && workerUrl.protocol === 'file:' && existsSync(fileURLToPath(workerUrl));

export const plainOp = (op: PlainOp): PlainOp => ({
  process: op.process,
  f: op.f,
  type: op.type,
  input: op.input,
  output: op.output,
  callIndex: op.callIndex,
  returnIndex: op.returnIndex,
});

/** Starts a worker on a task; resolves with its results (or rejects if it crashes). */
export function runOnWorker(task: WorkerTask): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerUrl, { workerData: task });
    let result: WorkerResult | undefined;
    worker.once('message', (m: WorkerResult) => {
      result = m;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (result) resolve(result);
      else reject(new Error(`linearizability worker exited with code ${code}`));
    });
  });
}
