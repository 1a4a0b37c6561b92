/**
 * Porcupine's Jepsen etcd logs (test_data/jepsen/etcd_*.log), read by the rules in
 * shared/peers/porcupine/README.md. Real time is the line number. Lines that match no rule are
 * ignored, as upstream does; in particular `:info` lines of writes and cas are dropped, so those
 * operations stay open to the end (pending), which is what decides most linearizable verdicts.
 */
import { buildHistory, type RawEvent } from '../build.js';
import type { History, Value } from '../op.js';

const PREFIX = /^INFO\s+jepsen\.util\s+-\s+(\d+)\s+:(invoke|ok|fail|info)\s+:(read|write|cas)\s+(.*?)\s*$/;
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

function readLine(text: string, line: number): RawEvent | undefined {
  const m = PREFIX.exec(text);
  if (!m) return undefined;
  const process = Number(m[1]);
  const type = m[2] as RawEvent['type'];
  const f = m[3]!;
  const arg = m[4]!;
  const pair = PAIR.exec(arg);
  if (type === 'invoke') {
    if (f === 'read' && arg === 'nil') return event(line, process, 'invoke', f, null);
    if (f === 'write' && /^\d+$/.test(arg)) return event(line, process, 'invoke', f, Number(arg));
    if (f === 'cas' && pair) return event(line, process, 'invoke', f, [Number(pair[1]), Number(pair[2])]);
    return undefined;
  }
  if (type === 'ok' && f === 'read' && (arg === 'nil' || /^\d+$/.test(arg)))
    return event(line, process, 'ok', f, arg === 'nil' ? null : Number(arg));
  if (type === 'ok' && f === 'write' && /^\d+$/.test(arg)) return event(line, process, 'ok', f, Number(arg));
  if ((type === 'ok' || type === 'fail') && f === 'cas' && pair)
    return event(line, process, type, f, [Number(pair[1]), Number(pair[2])]);
  // A timed-out read has an unknown output; a read has no effect, so it is a failed read.
  if (type === 'fail' && f === 'read' && arg === ':timed-out')
    return event(line, process, 'fail', f, null, 'timed-out');
  return undefined;
}

export function parsePorcupineEtcd(text: string, file: string): History {
  const events: RawEvent[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const e = readLine(lines[i]!, i + 1);
    if (e) events.push(e);
  }
  return buildHistory(events, { file });
}
