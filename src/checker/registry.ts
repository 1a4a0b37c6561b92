/**
 * The checkers `faultline check --checker NAME` knows. Each entry is one line: a checker
 * module registers itself here and nowhere else.
 */
import { causalChecker } from './causal/index.js';
import { counterChecker } from './counter.js';
import { linearizableChecker } from './linearizable/index.js';
import { perfChecker } from './perf.js';
import { setChecker } from './set.js';
import { statsChecker } from './stats.js';
import type { Checker } from './types.js';

export const checkers: Record<string, Checker> = {
  stats: statsChecker,
  causal: causalChecker,
  linearizable: linearizableChecker,
  perf: perfChecker,
  set: setChecker,
  counter: counterChecker,
};

export const checkerNames = () => Object.keys(checkers);
