/**
 * Writes a history as Jepsen EDN, one operation map per line, so Jepsen's and Knossos's tools
 * can read faultline's histories.
 */
import { keywordOrString, toEdn } from './edn.js';
import type { History, Op } from './op.js';

export interface EdnExportOptions {
  /**
   * Write keyed operations as jepsen.independent `[k v]` tuples (what Jepsen's independent
   * checker expects) instead of a `:key` field.
   */
  independentTuples?: boolean;
}

export function opToEdn(op: Op, options: EdnExportOptions = {}): string {
  const process = op.process === 'nemesis' ? ':nemesis' : String(op.process);
  const tuple = options.independentTuples && op.key !== undefined;
  const fields = [
    `:index ${op.index}`,
    `:time ${op.time}`,
    `:process ${process}`,
    `:type :${op.type}`,
    `:f ${keywordOrString(op.f)}`,
  ];
  if (op.key !== undefined && !tuple) fields.push(`:key ${toEdn(op.key)}`);
  fields.push(`:value ${tuple ? toEdn([op.key!, op.value]) : toEdn(op.value)}`);
  if (op.error !== undefined) fields.push(`:error ${keywordOrString(op.error)}`);
  if (op.node !== undefined) fields.push(`:node ${toEdn(op.node)}`);
  return `{${fields.join(', ')}}`;
}

export function toJepsenEdn(history: History, options: EdnExportOptions = {}): string {
  return history.ops.map((op) => `${opToEdn(op, options)}\n`).join('');
}
