/**
 * Turns raw events read from any format into a validated `History`, enforcing the rules of
 * shared/spec/history.md and naming the offending line when one is broken.
 */
import { InputError, MAX_VALUE_DEPTH, valueDepth } from './errors.js';
import type { History, Key, Op, OpType, Process, Value } from './op.js';

/** An event as an importer read it, before indexing and validation. */
export interface RawEvent {
  /** Where the event sits in its file (1-based), for error messages. */
  line: number;
  process: Process;
  type: OpType;
  f: string;
  value: Value;
  time?: number;
  key?: Key;
  error?: string;
  node?: string;
}

export interface BuildOptions {
  file: string;
  realTime?: boolean;
}

interface OpenCall {
  f: string;
  key: Key | undefined;
  line: number;
}

/**
 * Validates events in file order (which is real-time order: times are kept for display only,
 * since imported Knossos files carry wall-clock times slightly out of order): completions match the open invocation of their process
 * (same f and key), a process has one open invocation at a time, and a process that completed
 * with `info` never appears again. Nemesis events are always `info` and are not paired.
 * Invocations still open at the end stay as they are: checkers treat them as `info`.
 */
export function buildHistory(events: RawEvent[], options: BuildOptions): History {
  const { file } = options;
  const open = new Map<number, OpenCall>();
  const retired = new Map<number, number>(); // process → line of its info completion
  const ops: Op[] = [];
  const lines = new Int32Array(events.length);
  let lastTime = 0;
  for (const event of events) {
    const fail = (reason: string): never => {
      throw new InputError(file, event.line, reason);
    };
    const index = ops.length;
    const time = event.time ?? (ops.length === 0 ? 0 : Math.max(lastTime, index));
    if (!Number.isSafeInteger(time) || time < 0) fail(`time must be a non-negative integer, got ${time}`);
    lastTime = Math.max(lastTime, time);

    // Checkers, exporters and reports walk values recursively: refuse what would overflow them.
    if (event.value !== null && typeof event.value === 'object' && valueDepth(event.value) > MAX_VALUE_DEPTH)
      fail(`value nested deeper than ${MAX_VALUE_DEPTH} levels`);

    const op: Op = { index, time, process: event.process, type: event.type, f: event.f, value: event.value };
    if (event.key !== undefined) op.key = event.key;
    if (event.error !== undefined) op.error = event.error;
    if (event.node !== undefined) op.node = event.node;

    lines[index] = event.line;
    if (event.process === 'nemesis') {
      op.type = 'info';
      ops.push(op);
      continue;
    }
    const process = event.process;
    const retiredAt = retired.get(process);
    if (retiredAt !== undefined)
      fail(`process ${process} is used again after its info completion on line ${retiredAt}`);
    const call = open.get(process);
    if (event.type === 'invoke') {
      if (call)
        fail(`process ${process} invokes ${event.f} while its ${call.f} from line ${call.line} is open`);
      open.set(process, { f: event.f, key: event.key, line: event.line });
    } else {
      if (!call)
        return fail(`${event.type} completion of ${event.f} by process ${process} without an invocation`);
      if (call.f !== event.f)
        fail(`${event.type} completion of ${event.f} does not match process ${process}'s open ${call.f}`);
      if (call.key !== event.key)
        fail(`completion key ${String(event.key)} does not match the invocation's ${String(call.key)}`);
      open.delete(process);
      if (event.type === 'info') retired.set(process, event.line);
    }
    ops.push(op);
  }
  const history: History = { ops, realTime: options.realTime ?? true };
  sourceLines.set(history, lines);
  return history;
}

/** For each history built from a file: the source line of each event. */
const sourceLines = new WeakMap<History, Int32Array>();

/** Records the source line of each event of a history built without `buildHistory` (fast JSONL). */
export function setSourceLines(history: History, lines: Int32Array): void {
  sourceLines.set(history, lines);
}

/** The line of the file an event of this history came from, when it was read from one. */
export function sourceLine(history: History, index: number): number | undefined {
  const line = sourceLines.get(history)?.[index];
  return line === undefined || line < 1 ? undefined : line;
}
