/**
 * The sequential specifications the linearizability checker knows, one family per file, and
 * the registry that builds them by CLI name.
 */
import type { Model } from '../model.js';
import { kv } from './kv.js';
import { multiRegister } from './multi-register.js';
import { mutex } from './mutex.js';
import { fifoQueue, unorderedQueue } from './queues.js';
import { casRegister, type RegisterOptions, register } from './register.js';
import { set } from './set.js';

export { kv } from './kv.js';
export { multiRegister } from './multi-register.js';
export { mutex } from './mutex.js';
export { fifoQueue, unorderedQueue } from './queues.js';
export { casRegister, type RegisterOptions, register } from './register.js';
export { set } from './set.js';
export { show, valueKey } from './values.js';

/** Every model by its CLI name. */
export const models = {
  register,
  'cas-register': casRegister,
  casRegister,
  kv,
  'multi-register': multiRegister,
  multiRegister,
  mutex,
  'fifo-queue': fifoQueue,
  fifoQueue,
  'unordered-queue': unorderedQueue,
  unorderedQueue,
  set,
} as const;

export const MODEL_NAMES = [
  'register',
  'cas-register',
  'kv',
  'multi-register',
  'mutex',
  'fifo-queue',
  'unordered-queue',
  'set',
] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export interface ModelOptions extends RegisterOptions {}

/** Builds a model from its CLI name and options; undefined for an unknown name. */
export function modelByName(name: string, options: ModelOptions = {}): Model | undefined {
  if (!(MODEL_NAMES as readonly string[]).includes(name)) return undefined;
  const factory = models[name as ModelName] as (o: ModelOptions) => Model;
  return factory(options);
}
