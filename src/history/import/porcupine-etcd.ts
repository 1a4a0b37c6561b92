/**
 * Porcupine's Jepsen etcd logs (test_data/jepsen/etcd_*.log), read by the rules in
 * shared/peers/porcupine/README.md. Real time is the line number. As upstream does, `:info`
 * lines of writes and cas are dropped, so those operations stay open to the end (pending),
 * which is what decides most linearizable verdicts; log lines of other loggers are skipped.
 * Unlike upstream, a `jepsen.util` event line that fits no rule, or a line that is no log line
 * at all, is bad input: garbage in such a file is refused, never silently skipped.
 */
import { buildHistory, type RawEvent } from '../build.js';
import { InputError } from '../errors.js';
import type { History, Value } from '../op.js';

const PREFIX = /^INFO\s+jepsen\.util\s+-\s+(\d+)\s+:(invoke|ok|fail|info)\s+:(read|write|cas)\s+(.*)$/s;
/** Any event line of jepsen.util: a process and a :type, whatever follows. */
const EVENT = /^INFO\s+jepsen\.util\s+-\s+\d+\s+:/;
/** A log line of some logger (`LEVEL logger - message`), which carries no operation. */
const LOG_LINE = /^(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\s+[\w.$-]+\s+-\s+(.*)$/s;
/** An event's shape (`PROCESS :TYPE`), which only jepsen.util's INFO lines may have. */
const EVENT_MESSAGE = /^\d+\s+:(invoke|ok|fail|info)\b/;
const NUMBER = /^\d{1,15}$/;
const PAIR = /^\[(\d+)\s+(\d+)\]$/;

/** True when a line looks like a Jepsen etcd log line (for format detection). */
export const isPorcupineEtcdLine = (line: string) => /^INFO\s+jepsen\.util\s+-\s+\d+\s+:/.test(line);

function event(
  line: number,
  process: number,
  type: RawEvent['type'],
  f: string,
  value: Value,
  error?: string,
) {
  const e: RawEvent = { line, time: line - 1, process, type, f, value };
  if (error !== undefined) e.error = error;
  return e;
}

/** The event of one line; null for a line upstream ignores; a string says what is wrong. */
function readLine(text: string, line: number): RawEvent | null | string {
  const m = PREFIX.exec(text);
  if (!m) {
    if (text.trim() === '') return null;
    if (EVENT.test(text))
      return 'a jepsen.util event line that is not :invoke/:ok/:fail/:info of :read, :write or :cas';
    const log = LOG_LINE.exec(text);
    if (log) {
      if (EVENT_MESSAGE.test(log[2]!)) return 'an operation logged by something other than INFO jepsen.util';
      return null;
    }
    return 'not a Jepsen etcd log line (expected "INFO jepsen.util - PROCESS :TYPE :F VALUE")';
  }
  const process = Number(m[1]);
  if (!Number.isSafeInteger(process)) return `process ${m[1]} is out of range`;
  const type = m[2] as RawEvent['type'];
  const f = m[3]!;
  const arg = m[4]!.trimEnd(); // trimmed here, not by the pattern: no backtracking over long lines
  const pair = PAIR.exec(arg);
  const number = NUMBER.test(arg);
  const bad = () => `:${type} :${f} with an argument this format does not have: ${arg}`;
  if (type === 'invoke') {
    if (f === 'read' && arg === 'nil') return event(line, process, 'invoke', f, null);
    if (f === 'write' && number) return event(line, process, 'invoke', f, Number(arg));
    if (f === 'cas' && pair) return event(line, process, 'invoke', f, [Number(pair[1]), Number(pair[2])]);
    return bad();
  }
  if (type === 'ok' && f === 'read' && (arg === 'nil' || number))
    return event(line, process, 'ok', f, arg === 'nil' ? null : Number(arg));
  if (type === 'ok' && f === 'write' && number) return event(line, process, 'ok', f, Number(arg));
  if ((type === 'ok' || type === 'fail') && f === 'cas' && pair)
    return event(line, process, type, f, [Number(pair[1]), Number(pair[2])]);
  // A timed-out read has an unknown output; a read has no effect, so it is a failed read.
  if (type === 'fail' && f === 'read' && arg === ':timed-out')
    return event(line, process, 'fail', f, null, 'timed-out');
  // Upstream has no rule for :info lines: the operation stays open to the end.
  if (type === 'info' && (arg === ':timed-out' || arg === 'nil' || number || pair)) return null;
  return bad();
}

export function parsePorcupineEtcd(text: string, file: string): History {
  const events: RawEvent[] = [];
  let start = 0;
  for (let line = 1; start <= text.length; line++) {
    const end = text.indexOf('\n', start);
    const stop = end < 0 ? text.length : end;
    const e = readLine(text.slice(start, stop), line);
    if (typeof e === 'string') throw new InputError(file, line, e);
    if (e) events.push(e);
    start = stop + 1;
  }
  return buildHistory(events, { file });
}
