/**
 * faultline's own history format: JSON Lines, one event per line (shared/spec/history.md).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { z } from 'zod';
import { buildHistory, type RawEvent } from './build.js';
import { InputError } from './errors.js';
import type { History, Op, Value } from './op.js';

const valueSchema: z.ZodType<Value> = z.lazy(() =>
  z.union([
    z.null(),
    z.boolean(),
    z.number(),
    z.string(),
    z.array(valueSchema),
    z.record(z.string(), valueSchema),
  ]),
);

const eventSchema = z.strictObject({
  index: z.number().int().nonnegative(),
  time: z.number().int().nonnegative(),
  process: z.union([z.number().int().nonnegative(), z.literal('nemesis')]),
  type: z.enum(['invoke', 'ok', 'fail', 'info']),
  f: z.string().min(1),
  key: z.union([z.string(), z.number()]).optional(),
  value: valueSchema.default(null),
  error: z.string().optional(),
  node: z.string().optional(),
});

/** Parses faultline JSONL text. Throws InputError naming the line on any defect. */
export function parseJsonl(text: string, file: string): History {
  const events: RawEvent[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const lineNo = i + 1;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (e) {
      throw new InputError(file, lineNo, `not valid JSON (${(e as Error).message})`);
    }
    let parsed: ReturnType<typeof eventSchema.safeParse>;
    try {
      parsed = eventSchema.safeParse(json);
    } catch {
      throw new InputError(file, lineNo, 'value nested too deeply');
    }
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length > 0 ? `field "${issue.path.join('.')}"` : 'event';
      throw new InputError(file, lineNo, `${where}: ${issue.message}`);
    }
    // Keep JSON.parse's own value: zod rebuilds records by assignment, which mangles "__proto__".
    const { index, ...event } = { ...parsed.data, value: (json as { value?: Value }).value ?? null };
    if (index !== events.length)
      throw new InputError(file, lineNo, `index ${index} where ${events.length} was expected`);
    events.push({ ...event, line: lineNo });
  }
  return buildHistory(events, { file });
}

/** One line of JSONL for an event, fields in the spec's order. */
export function formatOp(op: Op): string {
  const { index, time, process, type, f, key, value, error, node } = op;
  return JSON.stringify({ index, time, process, type, f, key, value, error, node });
}

export function toJsonl(history: History): string {
  return history.ops.map((op) => `${formatOp(op)}\n`).join('');
}

export interface JsonlWriter {
  write(op: Op): void;
  /** Writes out everything buffered so far. */
  flush(): void;
  close(): Promise<void>;
}

/**
 * Appends events to a file as they happen. Lines are buffered and written in whole-line
 * batches at least every `flushMs` (default 50 ms), so a killed process loses at most the last
 * batch and never leaves half a line from a completed write call.
 */
export function createJsonlWriter(path: string, { flushMs = 50 }: { flushMs?: number } = {}): JsonlWriter {
  const fd = openSync(path, 'a');
  let buffer: string[] = [];
  let closed = false;
  const flush = () => {
    if (buffer.length === 0 || closed) return;
    const chunk = buffer.join('');
    buffer = [];
    writeSync(fd, chunk);
  };
  const timer = setInterval(flush, flushMs);
  timer.unref();
  const onExit = () => flush();
  process.on('exit', onExit);
  return {
    write(op) {
      if (closed) throw new Error(`history writer for ${path} is closed`);
      buffer.push(`${formatOp(op)}\n`);
    },
    flush,
    async close() {
      if (closed) return;
      flush();
      closed = true;
      clearInterval(timer);
      process.off('exit', onExit);
      closeSync(fd);
    },
  };
}
