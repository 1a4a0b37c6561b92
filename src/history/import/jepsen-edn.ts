/**
 * Jepsen EDN histories: a `history.edn` with one map per line, Knossos data files (one vector
 * or list of maps, `;` comments), and Porcupine's kv logs (which are EDN maps with a `:key`).
 */
import { buildHistory, type RawEvent } from '../build.js';
import { parseEdn } from '../edn.js';
import { InputError, ParseError } from '../errors.js';
import type { History, Key, OpType, Process, Value } from '../op.js';

const TYPES = new Set<OpType>(['invoke', 'ok', 'fail', 'info']);

type Fields = { [field: string]: Value };

function isFields(v: Value): v is Fields {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** One operation map as a raw event; throws InputError naming the line when it is not one. */
export function toEvent(form: Value, line: number, file: string): RawEvent {
  const fail = (reason: string): never => {
    throw new InputError(file, line, reason);
  };
  if (!isFields(form)) return fail(`expected an operation map, got ${JSON.stringify(form)}`);
  const { process, type, f, value = null, time, key, error, node } = form;
  let proc: Process;
  if (process === 'nemesis') proc = 'nemesis';
  else if (typeof process === 'number' && Number.isSafeInteger(process) && process >= 0) proc = process;
  else
    return fail(
      `:process must be a non-negative integer or :nemesis, got ${JSON.stringify(process ?? null)}`,
    );
  if (typeof type !== 'string' || !TYPES.has(type as OpType))
    return fail(`:type must be :invoke, :ok, :fail or :info, got ${JSON.stringify(type ?? null)}`);
  if (typeof f !== 'string' || f === '')
    return fail(`:f must be a keyword, got ${JSON.stringify(f ?? null)}`);
  const event: RawEvent = { line, process: proc, type: type as OpType, f, value };
  if (time !== undefined && time !== null) {
    if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0)
      return fail(`:time must be a non-negative integer, got ${JSON.stringify(time)}`);
    event.time = time;
  }
  if (key !== undefined && key !== null) {
    if (typeof key !== 'string' && typeof key !== 'number') return fail(`:key must be a string or number`);
    event.key = key;
  }
  if (error !== undefined && error !== null)
    event.error = typeof error === 'string' ? error : JSON.stringify(error);
  if (typeof node === 'string') event.node = node;
  return event;
}

const isScalarKey = (v: Value): v is Key => typeof v === 'string' || typeof v === 'number';

/** What the tuple rules look at in an event. */
interface Tupled {
  process: Process;
  f: string;
  key?: Key | undefined;
  value: Value;
}

const isTuple = (e: Tupled) => Array.isArray(e.value) && e.value.length === 2 && isScalarKey(e.value[0]!);

/**
 * jepsen.independent writes `[k v]` tuples as values. Unless told, a history is read as
 * independent when no event has a `:key` and every client event's value is such a tuple (a
 * cas's v being itself a pair), which rules out plain cas-register and multi-register histories.
 * True to unwrap; when told it is independent, the first client event without a tuple.
 */
export function independentTuples<E extends Tupled>(
  events: readonly E[],
  mode: boolean | undefined,
): boolean | E {
  if (mode === false) return false;
  let clients = 0;
  let notTuple: E | undefined;
  let plainCas = false;
  for (const e of events) {
    if (e.process === 'nemesis') continue;
    clients++;
    if (e.key !== undefined) return false;
    if (!isTuple(e)) notTuple ??= e;
    // A plain cas-register's [from to] is a pair too; an independent cas is [k [from to]].
    else if (e.f === 'cas' && !Array.isArray((e.value as Value[])[1])) plainCas = true;
  }
  if (clients === 0) return false;
  if (notTuple !== undefined) return mode === true ? notTuple : false;
  return mode === true || !plainCas;
}

function unwrapIndependentTuples(events: RawEvent[], mode: boolean | undefined, file: string): void {
  const unwrap = independentTuples(events, mode);
  if (typeof unwrap === 'object') throw new InputError(file, unwrap.line, 'value is not a [key value] tuple');
  if (!unwrap) return;
  for (const e of events) {
    if (e.process === 'nemesis') continue;
    const [k, v] = e.value as [Key, Value];
    e.key = k;
    e.value = v;
  }
}

export interface EdnImportOptions {
  /**
   * Whether values are jepsen.independent `[k v]` tuples. Undefined: guess from the history
   * (every client value a pair with a scalar first, and no plain `[from to]` cas).
   */
  independent?: boolean;
}

export function parseJepsenEdn(text: string, file: string, options: EdnImportOptions = {}): History {
  let forms: ReturnType<typeof parseEdn>;
  try {
    forms = parseEdn(text);
  } catch (e) {
    if (e instanceof ParseError) throw new InputError(file, e.line, e.reason);
    throw e;
  }
  const events: RawEvent[] = [];
  const only = forms[0];
  if (forms.length === 1 && only && Array.isArray(only.value)) {
    only.value.forEach((v, i) => {
      events.push(toEvent(v, only.elementLines?.[i] ?? only.line, file));
    });
  } else {
    for (const form of forms) events.push(toEvent(form.value, form.line, file));
  }
  unwrapIndependentTuples(events, options.independent, file);
  return buildHistory(events, { file });
}
