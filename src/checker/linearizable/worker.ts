/**
 * A worker thread of the linearizability checker: checks the keys it is given with the same
 * interleaved search, and stops when the shared cancel flag is raised (the main thread found a
 * refutation). Raises the flag itself when it finds one.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { evidenceFor } from './check.js';
import { memoBudget } from './memo.js';
import { modelByName } from './models/index.js';
import type { WorkerResult, WorkerTask } from './pool.js';
import { prepare } from './prepare.js';
import { Interleaver } from './schedule.js';

const task = workerData as WorkerTask;
const cancel = new Int32Array(task.cancel);
const model = modelByName(task.model, task.modelOptions)!;
const prepared = task.groups.map((ops) => prepare(model, ops));
const deadline = task.remainingMs === null ? Number.POSITIVE_INFINITY : performance.now() + task.remainingMs;
const results: WorkerResult['keys'] = [];
const il = new Interleaver(
  prepared.map((p) => p.problem),
  {
    limits: { deadline, budget: memoBudget(task.memoBytes), uniqueWrites: task.uniqueWrites },
    allKeys: task.allKeys,
    cancelled: () => Atomics.load(cancel, 0) === 1,
    ...(task.sliceSteps === undefined ? {} : { sliceSteps: task.sliceSteps }),
    onDone(i, outcome, ms) {
      const { problem, ops } = prepared[i]!;
      const key = task.keys[i]!;
      results.push({
        index: task.indices[i]!,
        outcome: {
          valid: outcome.valid,
          configs: outcome.configs,
          ms,
          ...(outcome.reason ? { reason: outcome.reason } : {}),
          ...(outcome.algorithm ? { algorithm: outcome.algorithm } : {}),
        },
        evidence:
          outcome.valid === true
            ? undefined
            : evidenceFor(model, key, outcome, ops, (s) => problem.kernel.describeState(s)),
      });
      if (outcome.valid === false && !task.allKeys) Atomics.store(cancel, 0, 1);
    },
  },
);
il.run();
parentPort!.postMessage({ keys: results } satisfies WorkerResult);
