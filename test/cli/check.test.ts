import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { causalManifest, knossosManifest, PEERS, porcupineManifest } from '../peers.js';
import { faultline } from './cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'faultline-cli-'));
const file = (name: string, text: string | Buffer) => {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
};

describe('faultline CLI', () => {
  it.each([[], ['check'], ['export']])('%j --help explains and exits 0', async (...cmd) => {
    const r = await faultline(...cmd, '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: faultline/);
  });

  it('checks the bundled example and prints a summary', async () => {
    const r = await faultline('check', 'examples/cas-register.jsonl', '--checker', 'stats');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('examples/cas-register.jsonl: 16 events; stats: VALID');
  });

  it('prints one JSON object with --json', async () => {
    const path = join(PEERS, 'knossos/data/cas-register/bad/cas-failure.edn');
    const r = await faultline('check', path, '--checker', 'stats', '--json');
    const out = JSON.parse(r.stdout);
    expect(out.valid).toBe(false); // every cas failed: stats flags a kind that never succeeded
    expect(out.neverOk).toEqual(['cas']);
    expect(r.code).toBe(1);
  });

  it.each([
    [
      'truncated.jsonl',
      '{"index":0,"time":0,"process":0,"type":"invoke","f":"read","value":null}\n{"index":1,"ti',
      ':2: not valid JSON',
    ],
    [
      'wrongtype.jsonl',
      '{"index":0,"time":"soon","process":0,"type":"invoke","f":"read"}\n',
      ':1: field "time"',
    ],
    ['unknown-type.edn', '{:process 0 :type :maybe :f :read}\n', ':1: :type must be'],
    [
      'orphan.edn',
      '[{:process 0 :type :invoke :f :read}\n {:process 1 :type :ok :f :read :value 3}]',
      ':2: ok completion of read by process 1 without an invocation',
    ],
    ['junk.bin', Buffer.from([0x5b, 0x00, 0x01, 0xff, 0xfe, 0x0a]), ':1: binary data'],
  ])('%s exits 254 with one line naming file and line', async (name, text, reason) => {
    const path = file(name, text);
    const r = await faultline('check', path);
    expect(r.code).toBe(254);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${path}${reason}`);
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });

  it('rejects a missing file, an unknown checker and a bad flag value with 254', async () => {
    expect((await faultline('check', join(tmp, 'nope.jsonl'))).code).toBe(254);
    expect((await faultline('check', 'examples/cas-register.jsonl', '--checker', 'nope')).code).toBe(254);
    expect((await faultline('check', 'examples/cas-register.jsonl', '--time-limit', 'x')).code).toBe(254);
    expect((await faultline('check', 'examples/cas-register.jsonl', '--format', 'xml')).code).toBe(254);
  });

  it('summarises every peer file', async () => {
    const files = [...porcupineManifest(), ...knossosManifest(), ...causalManifest()].map((e) => e.path);
    const r = await faultline('check', '--checker', 'stats', ...files);
    expect(r.stderr).toBe('');
    for (const f of files) expect(r.stdout).toContain(`${f}: `);
    expect(r.stdout).toContain(`${files.length} files: `);
  });

  it('exports to EDN that reads back to the same history', async () => {
    const out = join(tmp, 'out.edn');
    const e = await faultline('export', 'examples/cas-register.jsonl', '--to', 'edn', '-o', out);
    expect(e.code).toBe(0);
    const a = await faultline('export', out, '--to', 'jsonl');
    const b = await faultline('export', 'examples/cas-register.jsonl', '--to', 'jsonl');
    expect(a.stdout).toBe(b.stdout);
  });
});
