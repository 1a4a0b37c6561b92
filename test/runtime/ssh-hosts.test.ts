/**
 * The SSH runtime's parts that need no host: options (flags and config-file nodes), the chain
 * name, the fault table from probe answers, and connections that fail, each naming the host
 * and bounded (a loopback port that refuses; one that accepts and never speaks SSH).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIMES } from '../../src/runtime/registry.js';
import { Connection } from '../../src/runtime/ssh/conn.js';
import { hostsOf, parseHost, sshOptions } from '../../src/runtime/ssh/hosts.js';
import { createSshRuntime } from '../../src/runtime/ssh/index.js';
import { faultTable, parseFacts } from '../../src/runtime/ssh/probe.js';
import { chainName } from '../../src/runtime/ssh/scripts.js';

describe('SSH runtime options', () => {
  it('hosts from a flag (comma-separated), a list, or config-file nodes', () => {
    expect(parseHost('alice@db1.example:2222', 'me')).toEqual({
      user: 'alice',
      host: 'db1.example',
      port: 2222,
    });
    expect(parseHost('10.0.0.5', 'me')).toEqual({ user: 'me', host: '10.0.0.5', port: 22 });
    expect(parseHost('[fd00::1]:22', 'me')).toEqual({ user: 'me', host: 'fd00::1', port: 22 });
    expect(() => parseHost('a@b@c', 'me')).toThrow(/cannot read host/);
    const o = sshOptions.parse({
      hosts: 'root@10.0.0.1:22, 10.0.0.2',
      nodes: [{ host: '10.0.0.3', port: 2200, user: 'bob' }],
      user: 'ops',
    });
    expect(hostsOf(o)).toEqual([
      { user: 'root', host: '10.0.0.1', port: 22 },
      { user: 'ops', host: '10.0.0.2', port: 22 },
      { user: 'bob', host: '10.0.0.3', port: 2200 },
    ]);
    expect(hostsOf(sshOptions.parse({ hosts: ['a:1', 'b:2'] }))).toHaveLength(2);
    expect(() => hostsOf(sshOptions.parse({ hosts: 'a:1,a:1' }))).toThrow(/listed twice/);
    expect(() => sshOptions.parse({ nodes: [{ host: 'x', port: 0 }] })).toThrow();
    expect(() => sshOptions.parse({ remoteDir: 'relative' })).toThrow();
    expect(RUNTIMES.ssh?.name).toBe('ssh');
  });

  it('the chain is faultline-<run> within iptables 28 characters', () => {
    const hash = () => 'abcdef0123456789abcdef';
    expect(chainName('20250101T120000-abcd', hash)).toBe('faultline-20250101120000abcd');
    expect(chainName('short', hash)).toBe('faultline-short');
    expect(chainName('a very long run id with spaces', hash)).toBe('faultline-abcdef0123456789ab');
    for (const id of ['20250101T120000-abcd', 'short', 'x'.repeat(40)])
      expect(chainName(id, hash).length).toBeLessThanOrEqual(28);
  });

  it('fault table: partition needs iptables and root, latency netem, clock distinct kernels', () => {
    const host = (label: string, boot: string, more = '') =>
      parseFacts(label, `boot=${boot}\nkernel=Linux 6.1\nuid=0\npriv=ok\niptables=ok\nnetem=ok\n${more}`);
    const separate = faultTable([host('a', '1'), host('b', '2')], false);
    expect(Object.values(separate).every((s) => s.supported)).toBe(true);
    const shared = faultTable([host('a', '1'), host('b', '1'), host('c', '2')], false);
    expect(shared.clock).toEqual({
      supported: false,
      reason: expect.stringMatching(
        /^hosts a, b share one kernel \(the same \/proc\/sys\/kernel\/random\/boot_id 1\)/,
      ),
    });
    const unpriv = parseFacts(
      'u',
      'boot=3\nkernel=Linux\nuid=1000\npriv=no\niptables=Permission denied\nnetem=ok',
    );
    const t = faultTable([host('a', '1'), unpriv], false);
    expect(t.partition).toEqual({
      supported: false,
      reason: 'iptables needs root on u: not root there (give --sudo for passwordless sudo)',
    });
    expect(t.clock.supported).toBe(false);
    const noNetem = parseFacts(
      'n',
      'boot=4\nkernel=Linux 6.18\npriv=ok\niptables=ok\nnetem=Error: Specified qdisc kind is unknown.',
    );
    expect(faultTable([noNetem], false).latency).toEqual({
      supported: false,
      reason: 'no netem on n (kernel Linux 6.18; tc said: Error: Specified qdisc kind is unknown.)',
    });
  });

  it('no hosts: the runtime is unavailable, saying how to give them', async () => {
    const probe = await createSshRuntime({}).probe();
    expect(probe.available).toEqual({
      supported: false,
      reason: expect.stringMatching(/no hosts given \(--hosts/),
    });
  });
});

describe('SSH connections that fail name the host and never hang', () => {
  const servers: net.Server[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'faultline-ssh-key-'));
  const key = join(dir, 'id_ed25519');
  beforeAll(() => {
    const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ssh-keygen: ${r.error?.message ?? r.stderr}`);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    rmSync(dir, { recursive: true, force: true });
  });
  const listen = async (onConnection: (s: net.Socket) => void): Promise<number> => {
    const server = net.createServer(onConnection);
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as net.AddressInfo).port;
  };

  it('a port that refuses', async () => {
    const port = await listen((s) => s.destroy());
    await new Promise<void>((r) => servers.pop()!.close(() => r()));
    const c = new Connection(
      { host: '127.0.0.1', port, user: 'x' },
      { identityFile: key, connectTimeoutMs: 2000 },
    );
    const t0 = Date.now();
    await expect(c.exec('true')).rejects.toThrow(
      new RegExp(`host x@127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
    );
    expect(Date.now() - t0).toBeLessThan(2000);
    c.close(true);
  });

  it('a port that accepts and never speaks SSH: bounded by the connect timeout', async () => {
    const held: net.Socket[] = [];
    const port = await listen((s) => held.push(s));
    const c = new Connection(
      { host: '127.0.0.1', port, user: 'x' },
      { identityFile: key, connectTimeoutMs: 1500 },
    );
    const t0 = Date.now();
    await expect(c.exec('true', { timeoutMs: 10_000 })).rejects.toThrow(
      new RegExp(`host x@127\\.0\\.0\\.1:${port}: `),
    );
    const ms = Date.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(1400);
    expect(ms).toBeLessThan(4000);
    c.close(true);
    for (const s of held) s.destroy();
  });

  it('a missing identity file', async () => {
    const c = new Connection(
      { host: '127.0.0.1', port: 9, user: 'x' },
      { identityFile: '/nonexistent/key', connectTimeoutMs: 1000 },
    );
    await expect(c.exec('true')).rejects.toThrow(
      /host x@127\.0\.0\.1:9: cannot read identity file \/nonexistent\/key/,
    );
  });
});
