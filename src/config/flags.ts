/**
 * Flags made from options schemas: every field of a target's, workload's or runtime's zod
 * options becomes a kebab-case flag (`readQuorum` → `--read-quorum <n>`), described by the
 * field's `.describe()` text; a boolean becomes a pair, `--write-back` and `--no-write-back`,
 * whatever its default (an optional boolean with no default can be set either way, and
 * either one overrides a config file). So a new target adds its flags to `faultline run
 * --help` without any CLI code. Fields of the same name in several schemas share one flag; a
 * flag given for a target that lacks it is refused, and so is `--no-` before a flag that
 * takes a value.
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
  /** The flag that sets the field (`--write-back`, `--read-quorum`). */
  flag: string;
  kind: Kind;
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
    const flag = `--${kebab(key)}`;
    options.push(...optionsFor(flag, field, texts.join('; ')));
    flags.push({ key, flag, kind: field.kind, owners });
  }
  return { options, flags };
}

const onOff = (v: unknown) => (v === true ? ' (default: on)' : v === false ? ' (default: off)' : '');

/**
 * A boolean's pair of flags, the positive one first (commander then gives the field no
 * default: only a flag the user gave counts). Any other field's `--no-` flag exists, hidden,
 * only to be refused by name in `collectFlags` (commander would take it as unknown).
 */
function optionsFor(flag: string, field: SchemaField, description: string): Option[] {
  const negation = `--no-${flag.slice(2)}`;
  if (field.kind === 'boolean')
    return [
      new Option(flag, `${description}${onOff(field.defaultValue)}`),
      new Option(negation, `turns ${flag} off`),
    ];
  const arg = field.kind === 'number' ? ' <n>' : ' <value>';
  const option = new Option(`${flag}${arg}`, description);
  if (field.kind === 'number') option.argParser(parseNumber);
  return [option, new Option(negation).hideHelp()];
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
    const name = value === false ? `--no-${f.flag.slice(2)}` : f.flag;
    if (value === false && f.kind !== 'boolean')
      throw new InvalidArgumentError(`${name}: ${f.flag} takes a value; only a yes/no flag has a --no- form`);
    const hits = f.owners.filter((o) => chosen.some((c) => c.kind === o.kind && c.name === o.name));
    if (hits.length === 0) {
      const who = f.owners.map((o) => `${o.kind} ${o.name}`).join(', ');
      throw new InvalidArgumentError(`${name} applies to ${who} only`);
    }
    for (const hit of hits) out[hit.kind][f.key] = value;
  }
  return out;
}
