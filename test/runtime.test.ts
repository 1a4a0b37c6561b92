import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { assertFaultsSupported, type Cluster, UnsupportedFaultError } from '../src/runtime/cluster.js';
import { baseRootfsTar } from '../src/runtime/docker/image.js';
import { formatCidr, hostIp, overlaps, parseCidr } from '../src/runtime/docker/network.js';
import {
  KILL_SCRIPT,
  RUNNING_SCRIPT,
  START_SCRIPT,
  SUPERVISOR_SCRIPT,
} from '../src/runtime/docker/supervisor.js';
import { etcdTarget } from '../src/targets/etcd.js';
import { kvstoreTarget } from '../src/targets/kvstore.js';
import { redisTarget } from '../src/targets/redis.js';

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

describe('base image', () => {
  it('is a valid tar with /usr symlinks', async () => {
    const input = await baseRootfsTar();
    const listing = spawnSync('tar', ['-tvf', '-'], { input, encoding: 'utf8' });
    expect(listing.status).toBe(0);
    expect(listing.stdout).toMatch(/\.\/bin -> usr\/bin/);
    expect(listing.stdout).toMatch(/\.\/lib64 -> usr\/lib64/);
    expect(listing.stdout).toMatch(/drwxrwxrwt .* \.\/tmp\//);
    expect(listing.stdout).toMatch(/\.\/etc\/passwd/);
  });
});

describe('supervisor', () => {
  it('its shell scripts parse', () => {
    for (const script of [SUPERVISOR_SCRIPT, KILL_SCRIPT, START_SCRIPT, RUNNING_SCRIPT]) {
      const r = spawnSync('/bin/sh', ['-n', '-c', script], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
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

describe('target plans', () => {
  const hosts = ['10.0.0.11', '10.0.0.12', '10.0.0.13'];
  it('etcd: every member knows the initial cluster; clock skew is refused', async () => {
    const d = await etcdTarget.plan({ runId: 'r1', topology: 'cluster' }, hosts);
    expect(d.nodes.map((n) => n.name)).toEqual(['n1', 'n2', 'n3']);
    expect(d.nodes[1]!.command).toContain(
      '--initial-cluster=n1=http://10.0.0.11:2380,n2=http://10.0.0.12:2380,n3=http://10.0.0.13:2380',
    );
    expect(d.nodes[0]!.command).toContain('--pre-vote=true');
    expect(d.unsupported.clock).toMatch(/vDSO/);
    expect(() => etcdTarget.plan({ runId: 'r1', topology: 'single' }, hosts)).toThrow(/topology/);
  });

  it('redis: replicas follow n1; sentinel nodes carry a sentinel beside them', async () => {
    const single = await redisTarget.plan({ runId: 'r', topology: 'single' }, hosts.slice(0, 1));
    expect(single.nodes).toHaveLength(1);
    expect(single.nodes[0]!.role).toBe('primary');
    const replicas = await redisTarget.plan({ runId: 'r', topology: 'replicas' }, hosts);
    expect(replicas.nodes[2]!.command.join(' ')).toContain('--replicaof 10.0.0.11 6379');
    expect(replicas.nodes[0]!.sidecar).toBeUndefined();
    const sentinel = await redisTarget.plan({ runId: 'r', topology: 'sentinel' }, hosts);
    expect(sentinel.nodes[1]!.sidecar).toContain('sentinel monitor faultline 10.0.0.11 6379 2');
    expect(sentinel.clusterReady).toBeDefined();
    expect(() => redisTarget.plan({ runId: 'r', topology: 'single' }, hosts)).toThrow(/exactly 1/);
  });

  it('kvstore: quorums are validated and passed to every node; nodes run under libfaketime', async () => {
    const d = await kvstoreTarget.plan(
      { runId: 'r', topology: 'leaderless', readQuorum: 1, writeQuorum: 1 },
      hosts,
    );
    expect(d.nodes[0]!.env).toMatchObject({ KV_N: '3', KV_R: '1', KV_W: '1', KV_NODE: 'n1' });
    expect(d.nodes.every((n) => n.fakeClock)).toBe(true);
    expect(d.mounts).toHaveLength(1);
    await expect(
      kvstoreTarget.plan({ runId: 'r', topology: 'leaderless', readQuorum: 4 }, hosts),
    ).rejects.toThrow(/R must be/);
  });
});
