/**
 * Reads from the streaming replica: expected INVALID. Replication is asynchronous, so a read
 * on the replica that starts after a write was acknowledged by the primary can still see the
 * older value (a stale read), which no linearization allows. No faults are needed.
 *
 *   npx faultline run --config examples/custom-target/replica-reads.config.ts
 */
import { defineConfig } from 'faultline';
import postgres from './postgres.js';

export default defineConfig({
  target: postgres,
  targetOptions: { readFrom: 'replica' },
  workload: 'register',
  concurrency: 10,
  timeLimit: 10,
  seed: 1,
});
