/**
 * `sessions-json-v1` (shared/peers/causal): per-session lists of reads and writes with no
 * timing. Sessions become processes; each operation an invoke/ok pair. Sessions are laid out
 * round-robin, and the history is marked as carrying no real-time order.
 *
 * Read in one pass of jsonc-parser's visitor (which names the line of every token), after a
 * scan that bounds the nesting, so neither a deep document nor a huge one can overflow the
 * stack; every error names the line of the operation (or token) at fault.
 */
import { type JSONVisitor, printParseErrorCode, visit } from 'jsonc-parser';
import { buildHistory, type RawEvent } from '../build.js';
import { InputError, lineAt } from '../errors.js';
import type { History, Key, Value } from '../op.js';

/** The format needs 4 levels (document, sessions, session, operation); leave room for extras. */
const MAX_DEPTH = 64;

/** The offset of the first bracket nested deeper than `max`, or -1. Iterative, string-aware. */
function tooDeepAt(text: string, max: number): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Skip a string: to the next quote not escaped by a backslash.
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return -1;
}

type Container = { value: Value[] | { [k: string]: Value }; key: string | undefined };

interface Parsed {
  root: Value | undefined;
  /** For each session (an element of "sessions"): its line, and the line of each element. */
  sessionLines: number[];
  opLines: number[][];
  sessionsLine: number;
}

function parseWithLines(text: string, file: string): Parsed {
  const stack: Container[] = [];
  const out: Parsed = { root: undefined, sessionLines: [], opLines: [], sessionsLine: 1 };
  let topKey: string | undefined;
  const add = (v: Value) => {
    const top = stack[stack.length - 1];
    if (!top) {
      out.root = v;
      return;
    }
    if (Array.isArray(top.value)) top.value.push(v);
    // defineProperty, not assignment: a "__proto__" key must stay plain data.
    else
      Object.defineProperty(top.value, top.key!, {
        value: v,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  };
  /** Called as an element starts: records where sessions, sessions and their elements begin. */
  const mark = (line: number) => {
    const inSessions = stack.length >= 2 && topKey === 'sessions' && !Array.isArray(stack[0]!.value);
    if (stack.length === 1 && topKey === 'sessions') {
      // A repeated "sessions" key replaces the earlier one, as in JSON.parse.
      out.sessionsLine = line;
      out.sessionLines = [];
      out.opLines = [];
    } else if (inSessions && stack.length === 2) {
      out.sessionLines.push(line);
      out.opLines.push([]);
    } else if (inSessions && stack.length === 3) out.opLines[out.opLines.length - 1]?.push(line);
  };
  const open = (value: Container['value'], line: number) => {
    mark(line);
    stack.push({ value, key: undefined });
  };
  const close = () => {
    const done = stack.pop()!;
    add(done.value);
  };
  const visitor: JSONVisitor = {
    onObjectBegin: (_o, _l, startLine) => open({}, startLine + 1),
    onObjectEnd: close,
    onArrayBegin: (_o, _l, startLine) => open([], startLine + 1),
    onArrayEnd: close,
    onObjectProperty: (name) => {
      stack[stack.length - 1]!.key = name;
      if (stack.length === 1) topKey = name;
    },
    onLiteralValue: (value: Value, _o, _l, startLine) => {
      mark(startLine + 1);
      add(value);
    },
    onError: (error, offset) => {
      throw new InputError(file, lineAt(text, offset), `not valid JSON (${printParseErrorCode(error)})`);
    },
  };
  visit(text, visitor, { disallowComments: true, allowTrailingComma: false });
  return out;
}

const isObject = (v: Value | undefined): v is { [k: string]: Value } =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
const show = (v: Value | undefined) => (v === undefined ? 'nothing' : JSON.stringify(v));

interface SessionOp {
  f: 'read' | 'write';
  key: Key;
  value: number | string | null;
}

/** What is wrong with one element of a session, or undefined when it is an operation. */
function opProblem(op: Value): string | undefined {
  if (!isObject(op)) return `expected an operation {"f","key","value"}, got ${show(op)}`;
  for (const field of Object.keys(op))
    if (field !== 'f' && field !== 'key' && field !== 'value')
      return `unknown field ${JSON.stringify(field)}`;
  if (op.f !== 'read' && op.f !== 'write') return `"f" must be "read" or "write", got ${show(op.f)}`;
  if (typeof op.key !== 'string' && typeof op.key !== 'number')
    return `"key" must be a string or a number, got ${show(op.key)}`;
  if (!('value' in op)) return '"value" is missing';
  const v = op.value;
  if (v !== null && typeof v !== 'string' && typeof v !== 'number')
    return `"value" must be a number, a string or null, got ${show(v)}`;
  return undefined;
}

export function parseSessionsJson(text: string, file: string): History {
  const deep = tooDeepAt(text, MAX_DEPTH);
  if (deep >= 0) throw new InputError(file, lineAt(text, deep), `nested deeper than ${MAX_DEPTH} levels`);
  const { root, sessionLines, opLines, sessionsLine } = parseWithLines(text, file);
  if (!isObject(root))
    throw new InputError(file, 1, `expected an object {"sessions": [...]}, got ${show(root)}`);
  const sessions = root.sessions;
  if (!Array.isArray(sessions))
    throw new InputError(file, sessionsLine, `"sessions" must be a list of sessions, got ${show(sessions)}`);
  for (let s = 0; s < sessions.length; s++) {
    const session = sessions[s]!;
    if (!Array.isArray(session))
      throw new InputError(
        file,
        sessionLines[s],
        `session ${s} must be a list of operations, got ${show(session)}`,
      );
    for (let i = 0; i < session.length; i++) {
      const problem = opProblem(session[i]!);
      if (problem !== undefined)
        throw new InputError(file, opLines[s]?.[i], `session ${s}, operation ${i}: ${problem}`);
    }
  }
  // Round-robin over the sessions still going: work in proportion to the operations, however
  // unequal the sessions' lengths.
  const events: RawEvent[] = [];
  let active: number[] = [];
  for (let s = 0; s < sessions.length; s++) if ((sessions[s] as Value[]).length > 0) active.push(s);
  for (let step = 0; active.length > 0; step++) {
    const next: number[] = [];
    for (const process of active) {
      const session = sessions[process] as Value[];
      const op = session[step] as unknown as SessionOp;
      const line = opLines[process]?.[step] ?? 1;
      events.push({
        line,
        process,
        type: 'invoke',
        f: op.f,
        key: op.key,
        value: op.f === 'write' ? op.value : null,
      });
      events.push({ line, process, type: 'ok', f: op.f, key: op.key, value: op.value });
      if (session.length > step + 1) next.push(process);
    }
    active = next;
  }
  return buildHistory(events, { file, realTime: false });
}
