/**
 * The final heal: every fault undone, whatever the schedule got to — network (partitions,
 * packet faults), clocks back to real time, paused nodes resumed, killed databases started.
 * Tried again on failure: a run must not leave a fault behind. Also what the teardown calls
 * when a run dies early.
 */
import type { Cluster } from '../runtime/cluster.js';
import { errorMessage } from './act.js';

export interface HealOutcome {
  attempts: number;
  /** Errors of failed attempts; empty, or the last one failed too when `healed` is false. */
  errors: string[];
  healed: boolean;
}

/** cluster.healAll(), retried (attempts total, pauseMs apart). */
export async function healEverything(cluster: Cluster, attempts = 3, pauseMs = 500): Promise<HealOutcome> {
  const errors: string[] = [];
  for (let i = 1; i <= attempts; i++) {
    try {
      await cluster.healAll();
      return { attempts: i, errors, healed: true };
    } catch (e) {
      errors.push(errorMessage(e));
      if (i < attempts) await new Promise((r) => setTimeout(r, pauseMs));
    }
  }
  return { attempts, errors, healed: false };
}
