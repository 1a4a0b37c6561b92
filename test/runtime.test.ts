import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { assertFaultsSupported, type Cluster, UnsupportedFaultError } from '../src/runtime/cluster.js';
import { demux, inputRules, qdiscRule } from '../src/runtime/docker/faults.js';
import { baseRootfsTar } from '../src/runtime/docker/image.js';
import { DATA_DIR, dockerRuntime, SHARE_DIR } from '../src/runtime/docker/index.js';
import { compareVersions, glibcVersionOf } from '../src/runtime/docker/libc.js';
import { formatCidr, hostIp, overlaps, parseCidr } from '../src/runtime/docker/network.js';
import {
  KILL_SCRIPT,
  RUNNING_SCRIPT,
  START_SCRIPT,
  SUPERVISOR_SCRIPT,
} from '../src/runtime/docker/supervisor.js';
import { REAPER_SCRIPT } from '../src/runtime/docker/watchdog.js';
import type { NodeSlot } from '../src/runtime/runtime.js';
import { etcdTarget } from '../src/targets/etcd/index.js';
import { kvstoreTarget } from '../src/targets/kvstore/index.js';
import { redisTarget } from '../src/targets/redis/index.js';

describe('subnets', () => {
  it('parses, formats and compares CIDRs', () => {
    const c = parseCidr('10.213.7.0/24');
    expect(formatCidr(c)).toBe('10.213.7.0/24');
    expect(hostIp(c, 11)).toBe('10.213.7.11');
    expect(formatCidr(parseCidr('10.213.7.99/24'))).toBe('10.213.7.0/24');
    expect(overlaps(c, parseCidr('10.213.0.0/16'))).toBe(true);
    expect(overlaps(c, parseCidr('10.213.8.0/24'))).toBe(false);
    expect(() => parseCidr('10.213.7.0')).toThrow(/CIDR/);
    expect(() => parseCidr('300.1.1.0/24')).toThrow(/octets/);
  });
});

describe('docker runtime options', () => {
  it('are described for --help and validated', () => {
    const shape = (dockerRuntime.options as unknown as { shape: Record<string, { description?: string }> })
      .shape;
    expect(shape.image!.description).toBe('run this local image instead of faultline-base');
    expect(shape.subnet!.description).toMatch(/free \/24 of 10\.213\.0\.0\/16, or FAULTLINE_SUBNET_POOL/);
    expect(dockerRuntime.options.parse({ subnet: '10.213.9.0/24' })).toEqual({ subnet: '10.213.9.0/24' });
    expect(() => dockerRuntime.options.parse({ subnet: '10.213.9.0' })).toThrow(/IPv4 subnet/);
    expect(() => dockerRuntime.options.parse({ imag: 'x' })).toThrow();
    expect(dockerRuntime.create({}).name).toBe('docker');
  });
});

describe('base image', () => {
  it('is a valid tar with /usr symlinks', async () => {
    const listing = spawnSync('tar', ['-tvf', '-'], { input: await baseRootfsTar(), encoding: 'utf8' });
    expect(listing.status).toBe(0);
    expect(listing.stdout).toMatch(/\.\/bin -> usr\/bin/);
    expect(listing.stdout).toMatch(/\.\/lib64 -> usr\/lib64/);
    expect(listing.stdout).toMatch(/drwxrwxrwt .* \.\/tmp\//);
    expect(listing.stdout).toMatch(/\.\/etc\/passwd/);
  });
});

describe('shell and scripts', () => {
  it("the supervisor's shell scripts parse", () => {
    for (const script of [SUPERVISOR_SCRIPT, KILL_SCRIPT, START_SCRIPT, RUNNING_SCRIPT]) {
      const r = spawnSync('/bin/sh', ['-n', '-c', script], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
  });

  it("the watchdog's program parses", () => {
    const r = spawnSync(process.execPath, ['--check', '-'], { input: REAPER_SCRIPT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('network fault rules: drops, loss, netem', () => {
    expect(inputRules([], undefined)).toBe('/usr/sbin/iptables-nft -F INPUT');
    expect(inputRules(['10.0.0.12'], { lossPercent: 25 })).toBe(
      '/usr/sbin/iptables-nft -F INPUT && /usr/sbin/iptables-nft -A INPUT -s 10.0.0.12 -j DROP && ' +
        '/usr/sbin/iptables-nft -A INPUT -m statistic --mode random --probability 0.25 -j DROP',
    );
    expect(qdiscRule({ delayMs: 50, jitterMs: 10 })).toBe(
      'tc qdisc replace dev eth0 root netem delay 50ms 10ms',
    );
    expect(qdiscRule(undefined)).toMatch(/qdisc del/);
  });

  it("reads a container's framed log output", () => {
    const frame = (s: string) => {
      const h = Buffer.alloc(8);
      h[0] = 2;
      h.writeUInt32BE(Buffer.byteLength(s), 4);
      return Buffer.concat([h, Buffer.from(s)]);
    };
    expect(demux(Buffer.concat([frame('Error: '), frame('no qdisc')]))).toBe('Error: no qdisc');
    expect(demux(Buffer.from('plain'))).toBe('plain');
  });

  it("finds an image's glibc version", () => {
    expect(
      glibcVersionOf(Buffer.from('\0GNU C Library (Debian GLIBC 2.36-9) stable release version 2.36.\0')),
    ).toBe('2.36');
    expect(glibcVersionOf(Buffer.from('GLIBC_2.2.5\0GLIBC_2.34\0GLIBC_2.4\0'))).toBe('2.34');
    expect(compareVersions('2.31', '2.36')).toBeLessThan(0);
    expect(compareVersions('2.40', '2.36')).toBeGreaterThan(0);
  });
});

describe('fault support', () => {
  it('names the unsupported fault and why', () => {
    const faults = {
      partition: { supported: true },
      kill: { supported: true },
      pause: { supported: true },
      clock: { supported: false, reason: 'Go reads the clock through the vDSO' },
      loss: { supported: true },
      latency: { supported: false, reason: 'no netem' },
    } as Cluster['faults'];
    expect(() => assertFaultsSupported({ faults }, ['partition', 'kill'])).not.toThrow();
    expect(() => assertFaultsSupported({ faults }, ['kill', 'clock'])).toThrow(UnsupportedFaultError);
    expect(() => assertFaultsSupported({ faults }, ['clock'])).toThrow(/clock.*vDSO/);
  });
});

/** Slots as the Docker runtime hands them out (address per node, the target's ports, /data). */
function slots(count: number, ports: Record<string, number>): { slots: NodeSlot[]; shared: string[] } {
  const shared: string[] = [];
  return {
    shared,
    slots: Array.from({ length: count }, (_, i) => ({
      name: `n${i + 1}`,
      host: `10.0.0.${11 + i}`,
      ports: { ...ports },
      dataDir: DATA_DIR,
      share: (p: string) => {
        if (!shared.includes(p)) shared.push(p);
        return `${SHARE_DIR}/${shared.indexOf(p)}`;
      },
    })),
  };
}

describe('target deployments on runtime slots', () => {
  const ctx = (topology: string, faults: string[] = []) => ({
    runId: 'r1',
    topology,
    faults: faults as never[],
  });

  it('etcd: every member knows the initial cluster; clock skew is refused', async () => {
    const o = etcdTarget.options.parse({});
    const { slots: s } = slots(3, etcdTarget.ports('cluster', o));
    const d = await etcdTarget.deploy(o, ctx('cluster'), s);
    expect(d.nodes.map((n) => n.name)).toEqual(['n1', 'n2', 'n3']);
    expect(d.nodes[1]!.command).toContain(
      '--initial-cluster=n1=http://10.0.0.11:2380,n2=http://10.0.0.12:2380,n3=http://10.0.0.13:2380',
    );
    expect(d.nodes[0]!.command).toContain('--pre-vote=true');
    expect(d.nodes[0]!.command).toContain('--data-dir=/data/etcd');
    expect(etcdTarget.unsupported?.(o, ctx('cluster')).clock).toMatch(/vDSO/);
  });

  it('redis: replicas follow n1; sentinel nodes carry a sentinel beside them', async () => {
    const o = redisTarget.options.parse({});
    const single = await redisTarget.deploy(o, ctx('single'), slots(1, { client: 6379 }).slots);
    expect(single.nodes).toHaveLength(1);
    expect(single.nodes[0]!.role).toBe('primary');
    const replicas = await redisTarget.deploy(o, ctx('replicas'), slots(3, { client: 6379 }).slots);
    expect(replicas.nodes[2]!.command.join(' ')).toContain('--replicaof 10.0.0.11 6379');
    expect(replicas.nodes[0]!.sidecar).toBeUndefined();
    const sentinel = await redisTarget.deploy(
      o,
      ctx('sentinel'),
      slots(3, redisTarget.ports('sentinel', o)).slots,
    );
    expect(sentinel.nodes[1]!.sidecar).toContain('sentinel monitor faultline 10.0.0.11 6379 2');
    expect(sentinel.clusterReady).toBeDefined();
    expect(redisTarget.checkNodes?.('single', 3)).toMatch(/exactly 1/);
    const clock = await redisTarget.deploy(o, ctx('single', ['clock']), slots(1, { client: 6379 }).slots);
    expect(clock.nodes[0]).toMatchObject({ fakeClock: true, jemallocShim: true });
  });

  it('kvstore: quorums are validated and passed to every node; nodes run under libfaketime; only the store is shared', async () => {
    const o = kvstoreTarget.options.parse({ readQuorum: 1, writeQuorum: 1 });
    const { slots: s, shared } = slots(3, kvstoreTarget.ports('leaderless', o));
    const d = await kvstoreTarget.deploy(o, ctx('leaderless'), s);
    expect(d.nodes[0]!.env).toMatchObject({ KV_N: '3', KV_R: '1', KV_W: '1', KV_NODE: 'n1' });
    expect(d.nodes.every((n) => n.fakeClock)).toBe(true);
    expect(shared).toHaveLength(1);
    expect(shared[0]).toMatch(/faultline-kvstore-/);
    expect(d.nodes[0]!.command[1]).toBe(`${SHARE_DIR}/0/main.mjs`);
    await expect(
      kvstoreTarget.deploy(kvstoreTarget.options.parse({ readQuorum: 4 }), ctx('leaderless'), s),
    ).rejects.toThrow(/R must be/);
  });
});
