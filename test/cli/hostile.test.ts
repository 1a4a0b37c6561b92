/**
 * The bad-input contract as a user meets it through the binary: exit 254, one short printable
 * line on stderr that arrives whole (stderr is a pipe here, as in CI), no hang on special files.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, faultline } from './cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'faultline-hostile-cli-'));
const file = (name: string, text: string | Buffer) => {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
};
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** Exit 254 with exactly one printable line of sane length, ending in a newline. */
function expectOneLine(r: { code: number | undefined; stderr: string }, contains: string) {
  expect(r.code).toBe(254);
  expect(r.stderr.endsWith('\n') || r.stderr.length > 0).toBe(true);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]!.length).toBeLessThan(1024);
  expect(lines[0]).not.toMatch(UNSAFE);
  expect(lines[0]).toContain(contains);
}

describe('hostile input through the CLI', () => {
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  it.each([
    ['/dev/zero', 'character device'],
    ['/dev/urandom', 'character device'],
  ])('refuses %s at once', async (path, says) => {
    const started = Date.now();
    expectOneLine(await faultline('check', path), says);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('refuses a FIFO without waiting for a writer', async () => {
    const fifo = join(tmp, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expectOneLine(await faultline('check', fifo), 'FIFO');
  });

  it('refuses a directory and a socket', async () => {
    expectOneLine(await faultline('check', tmp), 'directory');
    const sock = join(tmp, 'sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      expectOneLine(await faultline('check', sock), 'socket');
    } finally {
      server.close();
    }
  });

  it('cuts a 20 MB bad token to one short line, which arrives whole through a pipe', async () => {
    const path = file('huge.edn', `[{:process 9${'x'.repeat(20 * 2 ** 20)}}]`);
    const r = await execa('node', [BIN, 'check', path], {
      reject: false,
      timeout: 60_000,
      stripFinalNewline: false,
    });
    expect(r.stderr.endsWith('\n')).toBe(true);
    expectOneLine({ code: r.exitCode, stderr: r.stderr }, `${path}:1: bad number '9xxx`);
    expect(r.stderr).toMatch(/more characters\)\n$/);
  });

  it('escapes control characters from the file and its name', async () => {
    const path = file(
      'evil\u001b[31m\nname.edn',
      '{:process 0 :type :invoke :f "\u001b]0;owned\u0007read"}\n{:process 0 :type :ok :f :write}\n',
    );
    const r = await faultline('check', path);
    expectOneLine(r, ':2: ok completion of write does not match');
    expect(r.stderr).toContain('evil\\x1b[31m\\nname.edn');
    expect(r.stderr).toContain('\\x1b]0;owned\\x07read');
  });

  it('escapes control characters in the summary of a valid file too', async () => {
    const path = file(
      'ok\u001b[2J\nname.jsonl',
      '{"index":0,"time":0,"process":0,"type":"invoke","f":"re\\u001bad","value":null}\n' +
        '{"index":1,"time":1,"process":0,"type":"ok","f":"re\\u001bad","value":null}\n',
    );
    const r = await faultline('check', path, '--checker', 'stats');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(UNSAFE);
    expect(r.stdout).toContain('ok\\x1b[2J\\nname.jsonl: 2 events');
  });

  it('refuses 100k chained #_ discards (no stack overflow)', async () => {
    expectOneLine(
      await faultline('check', file('discards.edn', `${'#_'.repeat(100_000)} nil`)),
      'nested deeper',
    );
  });

  it('reads a valid causal history of 130k sessions (no argument spreading)', async () => {
    const sessions = Array.from({ length: 130_000 }, (_, s) => `[{"f":"write","key":"k${s}","value":1}]`);
    const path = file('many-sessions.json', `{"sessions":[${sessions.join(',')}]}`);
    const r = await faultline('check', path, '--checker', 'causal');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('names the line of an operation the model cannot interpret', async () => {
    const path = file(
      'queue.jsonl',
      '{"index":0,"time":0,"process":0,"type":"invoke","f":"enqueue","value":1}\n',
    );
    expectOneLine(
      await faultline('check', path, '--model', 'mutex'),
      `${path}:1: the mutex model has no operation`,
    );
  });

  it('names the file, not "history", when a checker refuses the whole history', async () => {
    const path = file('sessions.json', '{"sessions":[[{"f":"write","key":"x","value":1}]]}');
    expectOneLine(
      await faultline('check', path, '--model', 'register'),
      `${path}: linearizability needs real-time order`,
    );
  });

  it.each([['__proto__'], ['constructor'], ['toString']])(
    'refuses --checker %s as a bad flag',
    async (name) => {
      expectOneLine(
        await faultline('check', 'examples/cas-register.jsonl', '--checker', name),
        'unknown checker',
      );
    },
  );

  it('serve: a port in use is one line and 254; so is a missing folder', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      expectOneLine(
        await faultline('serve', tmp, '--port', String(port)),
        `port ${port} on 127.0.0.1 is already in use`,
      );
    } finally {
      blocker.close();
    }
    expectOneLine(await faultline('serve', join(tmp, 'nope'), '--port', '0'), 'no such folder');
  });
});
