/**
 * Reads from the primary while the nemesis kills and pauses nodes: expected VALID. Every
 * operation goes to one PostgreSQL server, which commits durably before it answers, so
 * after any kill, restart or pause the history stays linearizable (operations that hit a
 * dead or frozen server fail or end unknown, as they should).
 *
 *   npx faultline run --config examples/custom-target/primary-reads.config.ts
 */
import { defineConfig } from 'faultline';
import postgres from './postgres.js';

export default defineConfig({
  target: postgres,
  targetOptions: { readFrom: 'primary' },
  workload: 'register',
  concurrency: 10,
  timeLimit: 15,
  nemesis: ['kill', 'pause'],
  // A fault every ~2.5 s on average (about six in the run), then 2 quiet seconds, final reads.
  nemesisInterval: 2.5,
  recoveryTime: 2,
  opTimeout: 1000,
  seed: 1,
});
