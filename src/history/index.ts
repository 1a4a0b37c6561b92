export { type BuildOptions, buildHistory, type RawEvent } from './build.js';
export { parseEdn } from './edn.js';
export { InputError } from './errors.js';
export { type EdnExportOptions, toJepsenEdn } from './export-edn.js';
export { createJsonlWriter, formatOp, type JsonlWriter, parseJsonl, toJsonl } from './jsonl.js';
export * from './op.js';
export { type Operation, pairOperations } from './operations.js';
export {
  detectFormat,
  FORMATS,
  type Format,
  isFormat,
  parseHistory,
  parseHistoryBytes,
  type ReadOptions,
  readHistoryFile,
} from './read.js';
