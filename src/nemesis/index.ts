/** The nemesis: fault families, the seeded schedule, the worker that plays it, the final heal. */
export { bumpClocks, CLOCK_MODES, type ClockMode, resetClocks, strobeClocks } from './clock.js';
export { awaitReady, type HealOutcome, healEverything } from './heal.js';
export { killNodes, startNodes } from './kill.js';
export { healNetwork, latencyOn, lossOn, packetFaultSupport } from './netem.js';
export { majority, minority, selectNodes, shuffle, sortNodes } from './nodes.js';
export {
  bisect,
  bridgeGrudge,
  completeGrudge,
  connected,
  grudgeNodes,
  halvesGrudge,
  isolateGrudge,
  majoritiesRingGrudge,
  randomHalvesGrudge,
  view,
} from './partition.js';
export { pauseNodes, resumeNodes } from './pause.js';
export { findPrimaries, targetHasPrimary } from './primary.js';
export { type NemesisEvent, nemesisIntervals, startEvent, stopEvent } from './record.js';
export {
  conflicts,
  DEFAULT_CHOICES,
  describeFault,
  formatSchedule,
  generateSchedule,
  type NemesisChoices,
  parseFamilies,
  type ScheduleOptions,
} from './schedule.js';
export * from './types.js';
export { type NemesisRecorder, type NemesisRunOptions, type NemesisSummary, runNemesis } from './worker.js';
