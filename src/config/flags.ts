/**
 * Flags made from options schemas: every field of a target's, workload's or runtime's zod
 * options becomes a kebab-case flag (`readQuorum` → `--read-quorum <n>`, a boolean that
 * defaults to true → `--no-pre-vote`), described by the field's `.describe()` text. So a new
 * target adds its flags to `faultline run --help` without any CLI code. Fields of the same
 * name in several schemas share one flag; a flag given for a target that lacks it is refused.
 */
import { InvalidArgumentError, Option } from 'commander';
import type { z } from 'zod';

type Kind = 'number' | 'boolean' | 'string' | 'other';

export interface SchemaField {
  key: string;
  kind: Kind;
  description: string;
  defaultValue: unknown;
}

interface ZodLike {
  description?: string;
  def: { type: string; innerType?: ZodLike; defaultValue?: unknown; shape?: Record<string, ZodLike> };
  shape?: Record<string, ZodLike>;
}

function baseKind(schema: ZodLike): { kind: Kind; defaultValue: unknown } {
  let t = schema;
  let defaultValue: unknown;
  while (t.def.type === 'optional' || t.def.type === 'default' || t.def.type === 'nullable') {
    if (t.def.type === 'default') defaultValue = t.def.defaultValue;
    t = t.def.innerType!;
  }
  const type = t.def.type;
  const kind: Kind = type === 'number' || type === 'boolean' || type === 'string' ? type : 'other';
  return { kind, defaultValue };
}

/** The fields of an object schema (anything else has none a flag could set). */
export function schemaFields(schema: z.ZodType): SchemaField[] {
  const shape = (schema as unknown as ZodLike).shape;
  if (!shape) return [];
  return Object.entries(shape).map(([key, field]) => ({
    key,
    ...baseKind(field),
    description: field.description ?? '',
  }));
}

export const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export type OwnerKind = 'target' | 'workload' | 'runtime';

export interface Owner {
  kind: OwnerKind;
  name: string;
}

export interface FlagSource extends Owner {
  schema: z.ZodType;
}

export interface GeneratedFlag {
  key: string;
  flag: string;
  owners: Owner[];
}

const parseNumber = (text: string) => {
  const n = Number(text);
  if (!Number.isFinite(n)) throw new InvalidArgumentError('expected a number');
  return n;
};

/** One commander option per distinct field over all sources; `reserved` keys are skipped. */
export function generateFlags(
  sources: readonly FlagSource[],
  reserved: ReadonlySet<string>,
): { options: Option[]; flags: GeneratedFlag[] } {
  const byKey = new Map<string, { field: SchemaField; owners: Owner[]; texts: string[] }>();
  for (const { kind, name, schema } of sources) {
    for (const field of schemaFields(schema)) {
      if (reserved.has(field.key)) continue;
      const entry = byKey.get(field.key) ?? { field, owners: [], texts: [] };
      entry.owners.push({ kind, name });
      entry.texts.push(`${name}: ${field.description || field.key}`);
      byKey.set(field.key, entry);
    }
  }
  const options: Option[] = [];
  const flags: GeneratedFlag[] = [];
  for (const [key, { field, owners, texts }] of byKey) {
    const negated = field.kind === 'boolean' && field.defaultValue === true;
    const flag = `--${negated ? 'no-' : ''}${kebab(key)}`;
    const arg = field.kind === 'boolean' ? '' : field.kind === 'number' ? ' <n>' : ' <value>';
    const option = new Option(`${flag}${arg}`, texts.join('; '));
    if (field.kind === 'number') option.argParser(parseNumber);
    options.push(option);
    flags.push({ key, flag, owners });
  }
  return { options, flags };
}

/**
 * The generated flags a user gave, sorted into the options of the chosen target, workload and
 * runtime; one that none of them takes is an error naming who does.
 */
export function collectFlags(
  flags: readonly GeneratedFlag[],
  given: (key: string) => unknown,
  chosen: readonly Owner[],
): Record<OwnerKind, Record<string, unknown>> {
  const out: Record<OwnerKind, Record<string, unknown>> = { target: {}, workload: {}, runtime: {} };
  for (const f of flags) {
    const value = given(f.key);
    if (value === undefined) continue;
    const hits = f.owners.filter((o) => chosen.some((c) => c.kind === o.kind && c.name === o.name));
    if (hits.length === 0) {
      const who = f.owners.map((o) => `${o.kind} ${o.name}`).join(', ');
      throw new InvalidArgumentError(`${f.flag} applies to ${who} only`);
    }
    for (const hit of hits) out[hit.kind][f.key] = value;
  }
  return out;
}
