/** Tiny HTML building helpers: everything user-supplied goes through `esc`. */

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export const esc = (text: unknown): string => String(text).replace(/[&<>"']/g, (c) => ENTITIES[c]!);

/** A value as compact JSON text, escaped for HTML. */
export const json = (value: unknown): string => esc(JSON.stringify(value));

export type Verdictish = true | false | 'unknown' | string | undefined;

export function verdictBadge(valid: Verdictish): string {
  const [cls, word] =
    valid === true
      ? ['ok', 'valid']
      : valid === false
        ? ['bad', 'invalid']
        : ['unknown', String(valid ?? 'unknown')];
  return `<span class="badge ${cls}">${esc(word)}</span>`;
}
