/**
 * The set checker (Jepsen's set-full): unique elements are added (`add`, value = element) and
 * the whole set is read (`read`, ok value = array of elements). Each element becomes known at
 * its add's acknowledgement or at the end of the first read that shows it, whichever is first;
 * then, over the reads of its key that began after it was known:
 *   ok          present in every such read (or absent only from reads before the last that
 *               showed it, and then it is also `stale`: it took a while to appear everywhere);
 *   lost        absent from the last such read and from every read after the last that showed
 *               it: an acknowledged (or once seen) element that disappeared for good;
 *   never-read  no read began after it was known;
 *   unexpected  read, but never added (or its add definitely failed).
 * Invalid when an element is lost or unexpected (and, with `linearizable`, stale).
 *
 * In three steps, one module each: `set/columns.ts` pairs and groups the adds and reads by key
 * in one ordered pass over the events; `set/elements.ts` judges each key's elements from those
 * columns; `set/evidence.ts` counts, describes and summarizes. O(operations + element
 * occurrences in reads), with few allocations (a full garbage collection of a 10^6-operation
 * history costs ~0.5 s, so a check should not provoke one).
 */
import type { History } from '../history/op.js';
import { columns } from './set/columns.js';
import { collect, judgeKey, keyData } from './set/elements.js';
import { result, tally } from './set/evidence.js';
import type { SetOptions, SetResult } from './set/types.js';
import type { Checker } from './types.js';

export type { SetCounts, SetElementEvidence, SetOptions, SetOutcome, SetResult } from './set/types.js';

export function checkSet(history: History, options: SetOptions = {}): SetResult {
  const o: Required<SetOptions> = {
    add: 'add',
    read: 'read',
    linearizable: false,
    maxEvidence: 20,
    ...options,
  };
  const { ops } = history;
  const g = columns(ops, o.add, o.read);
  const t = tally(g.adds, o.maxEvidence);
  const d = keyData();
  for (let slot = 0; slot < g.keys.length; slot++) {
    if (g.start[slot] === g.start[slot + 1]) continue;
    t.counts.malformedReads += collect(ops, g, slot, d);
    judgeKey(ops, g.keys[slot], d, t);
  }
  return result(history, t, o);
}

export const setChecker: Checker = {
  name: 'set',
  async check(history, options) {
    return checkSet(history, options as SetOptions);
  },
};
