/** Helpers every model shares: canonical value keys, display, equality, operation descriptions. */
import type { ModelOp } from '../model.js';

/** A canonical string for a JSON value: equal strings exactly when the values are equal. */
export function valueKey(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  switch (typeof v) {
    case 'number':
      return `n${v}`;
    case 'string':
      return `s${v}`;
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      break;
  }
  if (Array.isArray(v)) return `[${v.map(valueKey).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${valueKey(o[k])}`)
    .join(',')}}`;
}

export const show = (v: unknown): string => (v === null || v === undefined ? 'nil' : JSON.stringify(v));

export const sameValue = (a: unknown, b: unknown) =>
  a === b ||
  ((a === null || a === undefined) && (b === null || b === undefined)) ||
  valueKey(a) === valueKey(b);

export const describe = (op: ModelOp): string => {
  const arg = op.input === null || op.input === undefined ? '' : ` ${show(op.input)}`;
  if (op.type === 'info') return `${op.f}${arg} → ?`;
  if (op.type === 'fail') return `${op.f}${arg} → failed`;
  return `${op.f}${arg} → ${show(op.output)}`;
};
