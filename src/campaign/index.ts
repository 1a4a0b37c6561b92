/** Campaigns as a library: load or build a matrix of runs, run it, re-check stored runs. */
export { type CampaignRunOptions, type CampaignSummary, runCampaign } from './execute.js';
export { junitXml } from './junit.js';
export { loadCampaign } from './load.js';
export { type Cell, type CellLabels, expandCampaign, type Matrix, shardCells } from './matrix.js';
export { checkNodeLogs, GENERIC_LOG_PATTERNS } from './nodelogs.js';
export type { CellOutcome, CellStatus } from './outcome.js';
export { findRuns, recheckRun } from './recheck.js';
export { type CampaignInput, defineCampaign } from './schema.js';
