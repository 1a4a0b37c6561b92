/**
 * A corpus of hostile inputs for every reader: special files, deep nesting, huge tokens,
 * control characters, and structural tricks, each with what the bad-input contract demands of
 * it. Files are written to a temporary folder when a case runs and removed after it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InputError } from '../../src/history/errors.js';
import type { Format, ReadOptions } from '../../src/history/read.js';

export type HostileKind = 'special' | 'deep' | 'huge' | 'control' | 'structure';

export interface Hostile {
  name: string;
  kind: HostileKind;
  format: Format | 'any';
  /** Whether the input must be refused, must be read, or may be either. */
  expect: 'error' | 'ok' | 'either';
  /** Text the error message must contain. */
  says?: string;
  /** A special path whose error is about its content (so it must name a line). */
  content?: boolean;
  make(): Promise<{ path: string; options?: ReadOptions }>;
  cleanup?(): Promise<void>;
}

// An independent oracle for the contract: what must never reach a terminal.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const MAX_MESSAGE = 1024;

/**
 * What is wrong with an error against the contract (undefined when nothing): one printable
 * line of sane length, starting with the file name (as given, when it is plain), then the line
 * when the fault is in the file's content, then a reason.
 */
export function contractViolation(
  e: InputError,
  file: string,
  { content }: { content: boolean },
): string | undefined {
  const m = e.message;
  if (m.length > MAX_MESSAGE) return `message of ${m.length} characters`;
  const bad = UNSAFE.exec(m);
  if (bad)
    return `raw control character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')} in the message`;
  if (!/^.+?(:\d+)?: \S/s.test(m)) return `message not "file[:line]: reason": ${m.slice(0, 200)}`;
  const plain = !UNSAFE.test(file) && file.length <= 200;
  if (plain && !m.startsWith(`${file}:`))
    return `message does not start with the file name: ${m.slice(0, 200)}`;
  if (content && (e.line === undefined || !(e.line >= 1))) return `no line named: ${m.slice(0, 200)}`;
  if (!content && e.line !== undefined && e.line < 1) return `line ${e.line}`;
  return undefined;
}

const root = mkdtempSync(join(tmpdir(), 'faultline-hostile-'));
let counter = 0;
const fresh = (name = `input-${counter}`) => join(root, `${counter++}-${name}`);

export async function cleanupCorpus(): Promise<void> {
  rmSync(root, { recursive: true, force: true });
}

const MB20 = 20 * 2 ** 20;
const DEEP = 100_000;

const EDN_OP = '{:process 0 :type :invoke :f :read :value nil}';
const JSONL_OP = '{"index":0,"time":0,"process":0,"type":"invoke","f":"read","value":null}';
const ETCD_OP = 'INFO  jepsen.util - 0\t:invoke\t:read\tnil';

type Text = string | Buffer;
interface CaseOptions {
  expect?: Hostile['expect'];
  says?: string;
  options?: ReadOptions;
  name?: string;
}

/** A file with this content (made when the case runs, removed after). */
function text(
  name: string,
  kind: HostileKind,
  format: Hostile['format'],
  make: () => Text,
  o: CaseOptions = {},
): Hostile {
  let path = '';
  const h: Hostile = {
    name: `${format} ${kind}: ${name}`,
    kind,
    format,
    expect: o.expect ?? 'error',
    async make() {
      path = fresh(o.name);
      writeFileSync(path, make());
      return o.options ? { path, options: o.options } : { path };
    },
    async cleanup() {
      rmSync(path, { force: true });
    },
  };
  if (o.says !== undefined) h.says = o.says;
  return h;
}

/** A path made by `make` (a special file, a link...), removed by `cleanup`. */
function special(
  name: string,
  says: string,
  make: () => Promise<string> | string,
  cleanup?: () => Promise<void> | void,
  options?: ReadOptions,
): Hostile {
  return {
    name: `special: ${name}`,
    kind: 'special',
    format: 'any',
    expect: 'error',
    says,
    async make() {
      const path = await make();
      return options ? { path, options } : { path };
    },
    async cleanup() {
      await cleanup?.();
    },
  };
}

const jsonl = (fields: string) => `{"index":0,"time":0,"process":0,"type":"invoke","f":"read",${fields}}`;
const ednValue = (value: string) => `[{:process 0 :type :invoke :f :write :value ${value}}]`;
const mismatchEdn = (f: string) => `${EDN_OP}\n{:process 0 :type :ok :f ${f} :value nil}\n`;
const mismatchJsonl = (f: string) =>
  `${JSONL_OP}\n{"index":1,"time":1,"process":0,"type":"ok","f":${f},"value":null}\n`;
const sessionsOp = (op: string) => `{"sessions":[[{"f":"write","key":"x","value":1}, ${op}]]}`;

let socket: Server | undefined;
const savedEnv = process.env.FAULTLINE_MAX_INPUT_MB;

const SPECIAL: Hostile[] = [
  special('/dev/zero', 'character device', () => '/dev/zero'),
  special('/dev/urandom', 'character device', () => '/dev/urandom'),
  special('/dev/null', 'character device', () => '/dev/null'),
  special('a FIFO', 'FIFO', () => {
    const p = fresh('fifo');
    execFileSync('mkfifo', [p]);
    return p;
  }),
  special('a directory', 'directory', () => {
    const p = fresh('dir');
    mkdirSync(p);
    return p;
  }),
  special(
    'a Unix socket',
    'socket',
    () =>
      new Promise<string>((resolve) => {
        const p = fresh('sock');
        socket = createServer();
        socket.listen(p, () => resolve(p));
      }),
    () => new Promise<void>((resolve) => (socket ? socket.close(() => resolve()) : resolve())),
  ),
  special('a link to /dev/zero', 'character device', () => {
    const p = fresh('zero-link');
    symlinkSync('/dev/zero', p);
    return p;
  }),
  special('a link to a FIFO', 'FIFO', () => {
    const fifo = fresh('fifo2');
    execFileSync('mkfifo', [fifo]);
    const p = fresh('fifo-link');
    symlinkSync(fifo, p);
    return p;
  }),
  special('a dangling link', 'no such file', () => {
    const p = fresh('dangling');
    symlinkSync('/nonexistent/history.jsonl', p);
    return p;
  }),
  special('a link to itself', 'symbolic links', () => {
    const p = fresh('loop');
    symlinkSync(p, p);
    return p;
  }),
  special('a missing file', 'no such file', () => join(root, 'missing.jsonl')),
  special('a path through a file', 'not a directory', () => '/etc/passwd/history.jsonl'),
  special('a NUL in the path', 'not a usable file name', () => `${root}/a\u0000b.jsonl`),
  special(
    'a file over the size cap (option)',
    'more than',
    () => {
      const p = fresh('big');
      writeFileSync(p, `${JSONL_OP}\n`.repeat(100));
      return p;
    },
    undefined,
    { maxBytes: 1024 },
  ),
  special(
    'a file over the size cap (FAULTLINE_MAX_INPUT_MB)',
    'FAULTLINE_MAX_INPUT_MB',
    () => {
      process.env.FAULTLINE_MAX_INPUT_MB = '0.001';
      const p = fresh('big2');
      writeFileSync(p, `${JSONL_OP}\n`.repeat(100));
      return p;
    },
    () => {
      if (savedEnv === undefined) delete process.env.FAULTLINE_MAX_INPUT_MB;
      else process.env.FAULTLINE_MAX_INPUT_MB = savedEnv;
    },
  ),
  {
    ...text(
      'a file name with a newline and an escape sequence',
      'special',
      'any',
      () => mismatchEdn(':write'),
      {
        name: 'bad\n\u001b[31mname.edn',
      },
    ),
    content: true,
  },
  {
    ...text('a file name with a right-to-left override', 'special', 'any', () => mismatchEdn(':write'), {
      name: 'evil\u202egnp.edn',
    }),
    content: true,
  },
  {
    ...text('a file name of 240 characters', 'special', 'any', () => mismatchEdn(':write'), {
      name: `${'n'.repeat(240)}.edn`,
    }),
    content: true,
  },
  {
    name: 'special: /proc/self/status (a regular file that stat calls empty)',
    kind: 'special',
    format: 'any',
    expect: 'error',
    content: true,
    says: 'cannot tell the format',
    make: async () => ({ path: '/proc/self/status' }),
  },
];

const DEEP_CASES: Hostile[] = [
  text('100k [', 'deep', 'edn', () => '['.repeat(DEEP), { says: 'nested deeper' }),
  text('100k (', 'deep', 'edn', () => '('.repeat(DEEP), { says: 'nested deeper' }),
  text('100k {:a', 'deep', 'edn', () => '{:a '.repeat(DEEP), { says: 'nested deeper' }),
  text('100k #{', 'deep', 'edn', () => '#{'.repeat(DEEP), { says: 'nested deeper' }),
  text('100k #_ chained', 'deep', 'edn', () => `${'#_'.repeat(DEEP)} nil`, { says: 'nested deeper' }),
  text('100k #_ spaced', 'deep', 'edn', () => `${'#_ '.repeat(DEEP)}nil`, { says: 'nested deeper' }),
  text('100k #inst tags', 'deep', 'edn', () => `${'#inst '.repeat(DEEP)}1`, { says: 'nested deeper' }),
  text('1M [', 'deep', 'edn', () => '['.repeat(10 * DEEP), { says: 'nested deeper' }),
  text(
    '100k {:a inside an operation',
    'deep',
    'edn',
    () => `{:process 0 :f :read :value ${'{:a '.repeat(DEEP)}`,
  ),
  text('a value 150 deep (closed)', 'deep', 'edn', () => ednValue(`${'['.repeat(150)}${']'.repeat(150)}`), {
    says: 'nested deeper than 100',
  }),
  text('a value 499 deep (closed)', 'deep', 'edn', () => ednValue(`${'['.repeat(499)}${']'.repeat(499)}`), {
    says: 'nested deeper than',
  }),
  text('JSON nesting read as EDN', 'deep', 'edn', () => '{"a":'.repeat(DEEP), { options: { format: 'edn' } }),
  text('a value 100k deep (closed)', 'deep', 'jsonl', () =>
    jsonl(`"value":${'['.repeat(DEEP)}${']'.repeat(DEEP)}`),
  ),
  text('an object value 100k deep (closed)', 'deep', 'jsonl', () =>
    jsonl(`"value":${'{"a":'.repeat(DEEP)}1${'}'.repeat(DEEP)}`),
  ),
  text('a value 100k deep (unclosed)', 'deep', 'jsonl', () => jsonl(`"value":${'['.repeat(DEEP)}`)),
  text(
    'a value 150 deep (closed)',
    'deep',
    'jsonl',
    () => jsonl(`"value":${'['.repeat(150)}${']'.repeat(150)}`),
    {
      says: 'nested',
    },
  ),
  text('1M [ as a line', 'deep', 'jsonl', () => `{"index":${'['.repeat(10 * DEEP)}`, {
    options: { format: 'jsonl' },
  }),
  text('100k [ under "sessions"', 'deep', 'sessions-json', () => `{"sessions":${'['.repeat(DEEP)}`, {
    says: 'nested deeper',
  }),
  text('100k [ at the top', 'deep', 'sessions-json', () => '['.repeat(DEEP), {
    options: { format: 'sessions-json' },
    says: 'nested deeper',
  }),
  text(
    'an operation value 100k deep (closed)',
    'deep',
    'sessions-json',
    () => sessionsOp(`{"f":"write","key":"x","value":${'['.repeat(DEEP)}${']'.repeat(DEEP)}}`),
    { says: 'nested deeper' },
  ),
  text('100k {"f": in a session', 'deep', 'sessions-json', () => `{"sessions":[[${'{"f":'.repeat(DEEP)}`, {
    says: 'nested deeper',
  }),
  text(
    'a cas argument 100k [ deep',
    'deep',
    'porcupine-etcd',
    () => `INFO  jepsen.util - 0\t:invoke\t:cas\t${'['.repeat(DEEP)}`,
  ),
];

const big = (c: string) => c.repeat(MB20);

const HUGE: Hostile[] = [
  text('a 20 MB symbol', 'huge', 'edn', () => `[${big('x')}]`, { says: 'more characters' }),
  text('a 20 MB unterminated string', 'huge', 'edn', () => `[{:f "${big('x')}`, {
    says: 'unterminated string',
  }),
  text('a 20 MB bad number', 'huge', 'edn', () => `[{:process 9${big('x')}}]`, { says: 'bad number' }),
  text('a 20 MB keyword in a mismatch', 'huge', 'edn', () => mismatchEdn(`:${big('w')}`), {
    says: 'more characters',
  }),
  text('a 20 MB comment, then junk', 'huge', 'edn', () => `; ${big('c')}\n]`, { says: ':2:' }),
  text('a 20 MB character literal', 'huge', 'edn', () => `[\\${big('x')}]`, { says: 'unknown character' }),
  text('a 20 MB tag', 'huge', 'edn', () => `[#${big('t')}`),
  text('a 20 MB string value (valid)', 'huge', 'edn', () => ednValue(`"${big('v')}"`), { expect: 'ok' }),
  text('a 20 MB garbage line', 'huge', 'jsonl', () => `${JSONL_OP}\n${big('x')}\n`, {
    options: { format: 'jsonl' },
    says: ':2:',
  }),
  text('a 20 MB f in a mismatch', 'huge', 'jsonl', () => mismatchJsonl(`"${big('f')}"`), { says: ':2:' }),
  text(
    'a 20 MB type',
    'huge',
    'jsonl',
    () => `{"index":0,"time":0,"process":0,"type":"${big('t')}","f":"read"}`,
  ),
  text('a 20 MB number', 'huge', 'jsonl', () => `{"index":0,"time":${big('9')},"process":0}`),
  text('20 MB of spaces, then junk', 'huge', 'jsonl', () => `${JSONL_OP}\n${big(' ')}x\n`, {
    options: { format: 'jsonl' },
  }),
  text(
    'a 20 MB argument',
    'huge',
    'porcupine-etcd',
    () => `${ETCD_OP}\nINFO  jepsen.util - 0\t:ok\t:read\t${big('7x')}`,
    {
      says: ':2:',
    },
  ),
  text(
    '20 MB of spaces before junk (backtracking probe)',
    'huge',
    'porcupine-etcd',
    () => `${ETCD_OP}\nINFO  jepsen.util - 0\t:ok\t:read\t3${big(' ')}\rx`,
    { says: ':2:' },
  ),
  text('a 20 MB line that is no log line', 'huge', 'porcupine-etcd', () => `${ETCD_OP}\n${big('z')}`, {
    says: ':2: not a Jepsen etcd log line',
  }),
  text(
    'a 20 MB key in a bad operation',
    'huge',
    'sessions-json',
    () => sessionsOp(`{"f":"delete","key":"${big('k')}"}`),
    {
      says: 'operation 1',
    },
  ),
  text('a 20 MB unterminated string', 'huge', 'sessions-json', () => `{"sessions":[[{"f":"${big('s')}`),
  text('20 MB of spaces, then junk', 'huge', 'sessions-json', () => `{"sessions":[]${big(' ')}x`),
  text('a 20 MB line of no format', 'huge', 'any', () => big('?'), { says: 'cannot tell the format' }),
];

const CONTROL: Hostile[] = [
  text('raw ESC in a string f', 'control', 'edn', () => mismatchEdn('"\u001b[2Jwrite"')),
  text('raw ESC in a keyword', 'control', 'edn', () => mismatchEdn(':wr\u001b[31mite')),
  text('escaped right-to-left override in f', 'control', 'edn', () => mismatchEdn('"\\u202ewrite"')),
  text('raw C1 CSI in f', 'control', 'edn', () => mismatchEdn('"\u009b2Jwrite"')),
  text('newlines in f', 'control', 'edn', () => mismatchEdn('"wr\nit\r\ne"')),
  text(
    'bell and backspace in a bad keyword',
    'control',
    'edn',
    () => `[{:process 0 :type :\u0007\u0008 :f :read}]`,
  ),
  text('an unknown escape then controls', 'control', 'edn', () => `[{:f "\\a\u0001\u0002"}]`),
  text('CR-only line endings', 'control', 'edn', () => `${EDN_OP}\r{:process 0 :type :ok :f :write}\r`),
  text('form feed and vertical tab', 'control', 'edn', () => `[\f{:process 0\u000b :type :invoke :f :read}]`),
  text('a control character as a character literal', 'control', 'edn', () => `[\\\u0001\u0002\u0003]`),
  text('an escaped ESC in f', 'control', 'jsonl', () => mismatchJsonl('"\\u001b[2Jwrite"'), { says: ':2:' }),
  text('a raw ESC in a string', 'control', 'jsonl', () => mismatchJsonl('"\u001b[2Jwrite"'), { says: ':2:' }),
  text('a raw line separator in f', 'control', 'jsonl', () => mismatchJsonl('"wr\u2028ite"'), {
    says: ':2:',
  }),
  text('a raw C1 CSI in f', 'control', 'jsonl', () => mismatchJsonl('"\u009b31mwrite"'), { says: ':2:' }),
  text('CRLF line endings with an error', 'control', 'jsonl', () => `${JSONL_OP}\r\n{"index":5}\r\n`, {
    says: ':2:',
  }),
  text('a raw CR inside a line', 'control', 'jsonl', () => `${JSONL_OP}\n{"index":1,\r"time":"x"}\n`, {
    says: ':2:',
  }),
  text(
    'an ESC in a bad argument',
    'control',
    'porcupine-etcd',
    () => `${ETCD_OP}\nINFO  jepsen.util - 0\t:ok\t:read\t\u001b[2J`,
  ),
  text(
    'a bidi override in a bad argument',
    'control',
    'porcupine-etcd',
    () => `${ETCD_OP}\nINFO  jepsen.util - 0\t:ok\t:read\t3\u202e`,
  ),
  text(
    'CRLF line endings (valid)',
    'control',
    'porcupine-etcd',
    () => `${ETCD_OP}\r\nINFO  jepsen.util - 0\t:ok\t:read\t3\r\n`,
    {
      expect: 'ok',
    },
  ),
  text('an escaped ESC in a bad key', 'control', 'sessions-json', () =>
    sessionsOp('{"f":"read","key":{"\\u001b":1},"value":null}'),
  ),
  text('a raw control character in a string', 'control', 'sessions-json', () =>
    sessionsOp('{"f":"re\u0007ad","key":"x","value":null}'),
  ),
  text('a right-to-left override in f', 'control', 'sessions-json', () =>
    sessionsOp('{"f":"\u202eread","key":"x","value":null}'),
  ),
  text('a NUL byte', 'control', 'any', () => Buffer.from(`${JSONL_OP}\n{"index":1,\u0000}\n`), {
    says: ':2: binary data',
  }),
  text(
    'invalid UTF-8',
    'control',
    'any',
    () => Buffer.concat([Buffer.from(`${EDN_OP}\n`), Buffer.from([0xff, 0xfe, 0x80])]),
    {
      says: ':2: binary data',
    },
  ),
  text(
    'UTF-16 with a byte-order mark',
    'control',
    'any',
    () => Buffer.from(`\ufeff${JSONL_OP}\n`, 'utf16le'),
    {
      says: 'binary data',
    },
  ),
  text('only escape sequences', 'control', 'any', () => '\u001b[2J\u001b]0;owned\u0007\n', {
    says: 'cannot tell the format',
  }),
];

const manyForms = (n: number, last: string) =>
  `${`${EDN_OP.replace(':invoke', ':info').replace(':process 0', ':process :nemesis')}\n`.repeat(n)}${last}\n`;

const sessions = (count: number, longest: number) => {
  const parts: string[] = [];
  for (let s = 0; s < count; s++) {
    const n = s === 0 ? longest : 1;
    const ops: string[] = [];
    for (let i = 0; i < n; i++) ops.push(`{"f":"write","key":"k${s}","value":${i}}`);
    parts.push(`[${ops.join(',')}]`);
  }
  return `{"sessions":[${parts.join(',\n')}]}`;
};

const STRUCTURE: Hostile[] = [
  text(
    'a __proto__ key',
    'structure',
    'edn',
    () => `[{:__proto__ {:process 7} :process 0 :type :invoke :f :read}]`,
    {
      expect: 'either',
    },
  ),
  text('\\constructor as a character', 'structure', 'edn', () => ednValue('\\constructor'), {
    says: 'unknown character',
  }),
  text('1e999', 'structure', 'edn', () => ednValue('1e999'), { says: 'out of range' }),
  text('1/0', 'structure', 'edn', () => ednValue('1/0'), { says: 'out of range' }),
  text('0/0', 'structure', 'edn', () => ednValue('0/0'), { says: 'out of range' }),
  text('process -1', 'structure', 'edn', () => `[{:process -1 :type :invoke :f :read}]`, {
    says: ':process',
  }),
  text('process 1e20', 'structure', 'edn', () => `[{:process 100000000000000000000 :type :invoke :f :read}]`),
  text(':time 1e400', 'structure', 'edn', () => `[{:process 0 :type :invoke :f :read :time 1e400}]`),
  text('an empty keyword', 'structure', 'edn', () => `[{:process 0 :type : :f :read}]`, {
    says: 'empty keyword',
  }),
  text('#_ at the end', 'structure', 'edn', () => `[${EDN_OP}] #_`, { says: '#_ discard at end' }),
  text('an unbalanced ]', 'structure', 'edn', () => `${EDN_OP}\n]`, { says: ":2: unexpected ']'" }),
  text(
    '100k forms, the last bad',
    'structure',
    'edn',
    () => manyForms(100_000, '{:process 0 :type :ok :f :read}'),
    {
      says: ':100001:',
    },
  ),
  text('independent tuples forced on plain values', 'structure', 'edn', () => ednValue('3'), {
    options: { independent: true },
    says: 'tuple',
  }),
  text(
    '#jepsen.history.Op tags, nested deep',
    'structure',
    'edn',
    () => `${'#jepsen.history.Op '.repeat(1000)}{}`,
    {
      says: 'nested deeper',
    },
  ),
  text(
    'a __proto__ key inside a value',
    'structure',
    'jsonl',
    () => `${jsonl('"value":{"__proto__":{"x":1}}')}\n`,
    {
      expect: 'ok',
    },
  ),
  text('a __proto__ event', 'structure', 'jsonl', () => `{"__proto__":{"index":0}}\n`, {
    options: { format: 'jsonl' },
  }),
  text(
    'index 1e300',
    'structure',
    'jsonl',
    () => `{"index":1e300,"time":0,"process":0,"type":"invoke","f":"read"}\n`,
  ),
  text(
    'a negative time',
    'structure',
    'jsonl',
    () => `{"index":0,"time":-1,"process":0,"type":"invoke","f":"read"}\n`,
  ),
  text(
    'a fractional time',
    'structure',
    'jsonl',
    () => `{"index":0,"time":0.5,"process":0,"type":"invoke","f":"read"}\n`,
  ),
  text('a repeated index', 'structure', 'jsonl', () => `${JSONL_OP}\n${JSONL_OP}\n`, { says: ':2:' }),
  text(
    '10k fields',
    'structure',
    'jsonl',
    () => `{"index":0,${Array.from({ length: 10_000 }, (_, i) => `"f${i}":1`).join(',')}}\n`,
  ),
  text('a byte-order mark', 'structure', 'jsonl', () => `\ufeff${JSONL_OP}\n`, { expect: 'either' }),
  text(
    '100k processes left open (valid)',
    'structure',
    'jsonl',
    () =>
      Array.from(
        { length: 100_000 },
        (_, i) => `{"index":${i},"time":${i},"process":${i},"type":"invoke","f":"read","value":null}\n`,
      ).join(''),
    { expect: 'ok' },
  ),
  text(
    'junk after the argument',
    'structure',
    'porcupine-etcd',
    () => `${ETCD_OP}\nINFO  jepsen.util - 0\t:ok\t:read\tnil garbage`,
    {
      says: ':2:',
    },
  ),
  text(
    'an event from another logger',
    'structure',
    'porcupine-etcd',
    () => `${ETCD_OP}\nINFO  jepsen.utXl - 0\t:ok\t:read\tnil`,
    {
      says: ':2:',
    },
  ),
  text('a line of prose', 'structure', 'porcupine-etcd', () => `${ETCD_OP}\nhello world`, { says: ':2:' }),
  text(
    'a process beyond 2^53',
    'structure',
    'porcupine-etcd',
    () => `INFO  jepsen.util - 99999999999999999999\t:invoke\t:read\tnil`,
    {
      says: ':1:',
    },
  ),
  text(
    'a read invoked with a value',
    'structure',
    'porcupine-etcd',
    () => `INFO  jepsen.util - 0\t:invoke\t:read\t5`,
    {
      says: ':1:',
    },
  ),
  text(
    'an info with a junk argument',
    'structure',
    'porcupine-etcd',
    () => `${ETCD_OP}\nINFO  jepsen.util - 0\t:info\t:read\t:bogus`,
    {
      says: ':2:',
    },
  ),
  text(
    'an unknown operation',
    'structure',
    'porcupine-etcd',
    () => `${ETCD_OP}\nINFO  jepsen.util - 1\t:invoke\t:delete\t3`,
    {
      says: ':2:',
    },
  ),
  text('130k sessions (valid)', 'structure', 'sessions-json', () => sessions(130_000, 1), { expect: 'ok' }),
  text(
    '130k sessions, one 100k long (valid)',
    'structure',
    'sessions-json',
    () => sessions(130_000, 100_000),
    {
      expect: 'ok',
    },
  ),
  text('a trailing comma', 'structure', 'sessions-json', () => `{"sessions":[[],\n]}`, { says: ':2:' }),
  text('a comment', 'structure', 'sessions-json', () => `{"sessions":\n// hi\n[]}`, { says: ':2:' }),
  text(
    'an extra field',
    'structure',
    'sessions-json',
    () => sessionsOp('{"f":"read","key":"x","value":1,"at":3}'),
    {
      says: 'unknown field',
    },
  ),
  text(
    'a __proto__ field',
    'structure',
    'sessions-json',
    () => sessionsOp('{"__proto__":{"f":"read","key":"x","value":1}}'),
    {
      says: 'unknown field',
    },
  ),
  text(
    '__proto__ at the top',
    'structure',
    'sessions-json',
    () => `{"__proto__":{"sessions":[]},"sessions":0}`,
    {
      options: { format: 'sessions-json' },
      says: '"sessions" must be a list',
    },
  ),
  text('sessions of the wrong type', 'structure', 'sessions-json', () => `{"sessions":\n{"a":1}}`, {
    says: ':2:',
  }),
  text('a session of the wrong type', 'structure', 'sessions-json', () => `{"sessions":[[],\n7]}`, {
    says: ':2: session 1',
  }),
  text(
    'a bad f on line 3',
    'structure',
    'sessions-json',
    () => `{"sessions":[[\n{"f":"read","key":"x","value":null},\n{"f":"cas","key":"x","value":1}]]}`,
    {
      says: ':3: session 0, operation 1',
    },
  ),
  text('an object value', 'structure', 'sessions-json', () =>
    sessionsOp('{"f":"write","key":"x","value":{"a":1}}'),
  ),
  text('an empty object', 'structure', 'sessions-json', () => `{}`, {
    options: { format: 'sessions-json' },
    says: ':1:',
  }),
  text(
    'a repeated write value (reader accepts)',
    'structure',
    'sessions-json',
    () => sessionsOp('{"f":"write","key":"x","value":1}'),
    {
      expect: 'ok',
    },
  ),
];

export const HOSTILE: Hostile[] = [...SPECIAL, ...DEEP_CASES, ...HUGE, ...CONTROL, ...STRUCTURE];
