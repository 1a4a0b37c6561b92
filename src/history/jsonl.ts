/**
 * faultline's own history format: JSON Lines, one event per line (shared/spec/history.md).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Zod from 'zod';
import { buildHistory, type RawEvent, setSourceLines } from './build.js';
import { InputError } from './errors.js';
import type { History, Op, Value } from './op.js';

/** The schema of one event, built with the zod module given. */
function buildEventSchema(z: typeof Zod.z) {
  const valueSchema: Zod.ZodType<Value> = z.lazy(() =>
    z.union([
      z.null(),
      z.boolean(),
      z.number(),
      z.string(),
      z.array(valueSchema),
      z.record(z.string(), valueSchema),
    ]),
  );
  return z.strictObject({
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
}

let schema: ReturnType<typeof buildEventSchema> | undefined;

/**
 * zod is loaded on the first file the fast paths refuse: loading it is ~0.4 s of start-up that
 * a valid file never needs. Its CommonJS build, through require, keeps the checked path
 * synchronous; the schema is used here only, so no value crosses between the two builds.
 */
function eventSchema(): ReturnType<typeof buildEventSchema> {
  schema ??= buildEventSchema((createRequire(import.meta.url)('zod') as typeof Zod).z);
  return schema;
}

/** Parses faultline JSONL text. Throws InputError naming the line on any defect. */
export function parseJsonl(text: string, file: string): History {
  return parseJsonlFast(text) ?? parseJsonlChecked(text, file);
}

const FIELDS = new Set(['index', 'time', 'process', 'type', 'f', 'key', 'value', 'error', 'node']);
const TYPES = new Set(['invoke', 'ok', 'fail', 'info']);
const MAX_DEPTH = 64;

/** A JSON value zod's schema accepts: finite numbers, not nested too deeply. */
function plainValue(v: unknown, depth: number): boolean {
  if (typeof v === 'number') return Number.isFinite(v);
  if (typeof v !== 'object' || v === null) return true;
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!plainValue(v[i], depth + 1)) return false;
    return true;
  }
  for (const k in v)
    if (k === '__proto__' || !plainValue((v as Record<string, unknown>)[k], depth + 1)) return false;
  return true;
}

const optionalString = (v: unknown) => v === undefined || typeof v === 'string';

/** True when JSON.parse's object is an event exactly as the schema would accept it. */
function plainEvent(o: Record<string, unknown>, index: number): boolean {
  for (const k in o) if (!FIELDS.has(k)) return false;
  const { time, process: p, key } = o;
  return (
    o.index === index &&
    typeof time === 'number' &&
    Number.isSafeInteger(time) &&
    time >= 0 &&
    (p === 'nemesis' || (typeof p === 'number' && Number.isSafeInteger(p) && p >= 0)) &&
    TYPES.has(o.type as string) &&
    typeof o.f === 'string' &&
    o.f.length > 0 &&
    (key === undefined || typeof key === 'string' || (typeof key === 'number' && Number.isFinite(key))) &&
    optionalString(o.error) &&
    optionalString(o.node) &&
    plainValue(o.value, 0)
  );
}

/** The op of a JSON.parse'd line, fields in buildHistory's order; undefined unless plain. */
export function eventFromJson(json: unknown, index: number): Op | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const o = json as Record<string, unknown>;
  if (!plainEvent(o, index)) return undefined;
  const op = { index, time: o.time, process: o.process, type: o.type, f: o.f, value: o.value ?? null } as Op;
  if (o.key !== undefined) op.key = o.key as Op['key'];
  if (o.error !== undefined) op.error = o.error as string;
  if (o.node !== undefined) op.node = o.node as string;
  return op;
}

/** Process ids below this index an array; larger ones a map. */
const SMALL_PROCESS = 1 << 16;

/**
 * Pairing as buildHistory checks it; false on anything it would reject. Per process: its open
 * invocation, null once retired by an info completion, undefined when idle.
 */
export class Pairing {
  private readonly small: Array<Op | null | undefined> = [];
  private readonly large = new Map<number, Op | null>();

  private put(p: number, state: Op | null | undefined): void {
    if (p < SMALL_PROCESS) this.small[p] = state;
    else if (state === undefined) this.large.delete(p);
    else this.large.set(p, state);
  }

  /** True when process `p` has no open invocation and was not retired. */
  idle(p: number): boolean {
    return (p < SMALL_PROCESS ? this.small[p] : this.large.get(p)) === undefined;
  }

  /** Retires `p`: an info completion seen by another reader of the file. */
  retire(p: number): void {
    this.put(p, null);
  }

  accept(op: Op): boolean {
    const p = op.process;
    if (p === 'nemesis') {
      op.type = 'info';
      return true;
    }
    const call = p < SMALL_PROCESS ? this.small[p] : this.large.get(p);
    if (call === null) return false;
    if (op.type === 'invoke') {
      if (call !== undefined) return false;
      this.put(p, op);
      return true;
    }
    if (call === undefined || call.f !== op.f || call.key !== op.key) return false;
    this.put(p, op.type === 'info' ? null : undefined);
    return true;
  }
}

/**
 * The fast path for text in memory: JSON.parse line by line, checked by hand (no schema).
 * Undefined at the first thing it does not accept: the checked path then reads the text
 * again and names the line and the defect. Files are read by jsonl-stream.ts instead.
 */
export function parseJsonlFast(text: string): History | undefined {
  const ops: Op[] = [];
  let lines = new Int32Array(1024);
  const pairing = new Pairing();
  let lineNo = 0;
  for (let pos = 0; pos < text.length; ) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    lineNo++;
    if (end > pos) {
      let json: unknown;
      try {
        json = JSON.parse(text.slice(pos, end));
      } catch {
        return undefined;
      }
      const op = eventFromJson(json, ops.length);
      if (op === undefined || !pairing.accept(op)) return undefined;
      if (ops.length === lines.length) {
        const grown = new Int32Array(lines.length * 2);
        grown.set(lines);
        lines = grown;
      }
      lines[ops.length] = lineNo;
      ops.push(op);
    }
    pos = end + 1;
  }
  const history: History = { ops, realTime: true };
  setSourceLines(history, lines.subarray(0, ops.length));
  return history;
}

/** The checked path: every line through the schema, errors naming the line. */
export function parseJsonlChecked(text: string, file: string): History {
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
    let parsed: ReturnType<ReturnType<typeof eventSchema>['safeParse']>;
    try {
      parsed = eventSchema().safeParse(json);
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
