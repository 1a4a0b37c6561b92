/**
 * `sessions-json-v1` (shared/peers/causal): per-session lists of reads and writes with no
 * timing. Sessions become processes; each operation an invoke/ok pair. Sessions are laid out
 * round-robin, and the history is marked as carrying no real-time order.
 */
import { type ParseError, parse as parseJson, printParseErrorCode } from 'jsonc-parser';
import { z } from 'zod';
import { buildHistory, type RawEvent } from '../build.js';
import { InputError } from '../errors.js';
import type { History } from '../op.js';

const sessionOp = z.strictObject({
  f: z.enum(['read', 'write']),
  key: z.union([z.string(), z.number()]),
  value: z.union([z.number(), z.string(), z.null()]),
});
const sessionsSchema = z.object({ sessions: z.array(z.array(sessionOp)) });

export function parseSessionsJson(text: string, file: string): History {
  // jsonc-parser, not JSON.parse: it tells where the syntax error is, so we can name the line.
  const errors: ParseError[] = [];
  const json: unknown = parseJson(text, errors, { disallowComments: true, allowTrailingComma: false });
  const first = errors[0];
  if (first) {
    const line = text.slice(0, first.offset).split('\n').length;
    throw new InputError(file, line, `not valid JSON (${printParseErrorCode(first.error)})`);
  }
  let parsed: ReturnType<typeof sessionsSchema.safeParse>;
  try {
    parsed = sessionsSchema.safeParse(json);
  } catch {
    throw new InputError(file, undefined, 'value nested too deeply');
  }
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError(file, undefined, `at ${issue.path.join('.') || 'top level'}: ${issue.message}`);
  }
  const { sessions } = parsed.data;
  const events: RawEvent[] = [];
  const longest = Math.max(0, ...sessions.map((s) => s.length));
  for (let step = 0; step < longest; step++) {
    sessions.forEach((session, process) => {
      const op = session[step];
      if (!op) return;
      const line = 0;
      events.push({
        line,
        process,
        type: 'invoke',
        f: op.f,
        key: op.key,
        value: op.f === 'write' ? op.value : null,
      });
      events.push({ line, process, type: 'ok', f: op.f, key: op.key, value: op.value });
    });
  }
  return buildHistory(events, { file, realTime: false });
}
