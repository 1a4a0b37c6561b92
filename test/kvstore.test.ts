import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { httpKvClient } from '../src/clients/httpkv.js';
import { configFromEnv, createKvServer, type KvConfig } from '../src/kvstore/server.js';
import { compareVersions, newest, preferenceList, Replica } from '../src/kvstore/store.js';

describe('kvstore replica', () => {
  it('orders versions by (ms, seq, node) and keeps the newest', () => {
    expect(compareVersions([1, 1, 'n1'], [2, 0, 'n1'])).toBeLessThan(0);
    expect(compareVersions([2, 1, 'n1'], [2, 2, 'n1'])).toBeLessThan(0);
    expect(compareVersions([2, 2, 'n2'], [2, 2, 'n1'])).toBeGreaterThan(0);
    const r = new Replica('n1', () => 100);
    expect(r.apply('k', { value: 1, version: [5, 1, 'n2'] })).toBe(true);
    expect(r.apply('k', { value: 2, version: [4, 9, 'n3'] })).toBe(false);
    expect(r.get('k')?.value).toBe(1);
    expect(newest([undefined, r.get('k'), { value: 3, version: [6, 0, 'n1'] }])?.value).toBe(3);
  });

  it('places a key on N consecutive nodes of the ring', () => {
    const nodes = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const list = preferenceList('some-key', nodes, 3);
    expect(new Set(list).size).toBe(3);
    expect(preferenceList('some-key', nodes, 3)).toEqual(list);
    expect(preferenceList('k', nodes, 9)).toHaveLength(5);
  });

  it('reads its configuration from the environment and rejects bad quorums', () => {
    const c = configFromEnv({ KV_NODE: 'n2', KV_PEERS: 'n1=a:1,n2=b:2,n3=c:3', KV_R: '1', KV_W: '3' });
    expect(c).toMatchObject({ node: 'n2', n: 3, r: 1, w: 3, readRepair: false, replicationDelayMs: 0 });
    expect(() => configFromEnv({ KV_PEERS: 'n1=a:1,n2=b:2', KV_R: '3' })).toThrow(/R must be/);
    expect(() => configFromEnv({ KV_PEERS: 'n1=a:1', KV_W: '0' })).toThrow(/W must be/);
  });
});

/** Three in-process nodes on loopback. */
async function cluster(overrides: Partial<KvConfig> & { clocks?: Record<string, () => number> } = {}) {
  const names = ['n1', 'n2', 'n3'];
  const peers: Record<string, string> = Object.fromEntries(names.map((n) => [n, '']));
  const servers: Server[] = [];
  for (const node of names) {
    const server = createKvServer({
      node,
      port: 0,
      peers,
      n: 3,
      r: 2,
      w: 2,
      readRepair: false,
      replicationDelayMs: 0,
      timeoutMs: 1000,
      ...overrides,
      now: overrides.clocks?.[node] ?? Date.now,
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    peers[node] = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    servers.push(server);
  }
  open.push(...servers);
  const client = (node: string) => {
    const [host, port] = peers[node]!.split(':');
    return httpKvClient(
      { name: node, host: host!, ports: { client: Number(port) }, role: 'replica' },
      { timeoutMs: 2000 },
    );
  };
  const internal = async (node: string, key: string) => {
    const r = await fetch(`http://${peers[node]}/internal/kv/${key}`);
    return ((await r.json()) as { entry?: { value: unknown } }).entry?.value;
  };
  const put = async (
    node: string,
    key: string,
    entry: { value: unknown; version: [number, number, string] },
  ) => {
    await fetch(`http://${peers[node]}/internal/kv/${key}`, {
      method: 'PUT',
      body: JSON.stringify({ entry }),
    });
  };
  return { client, internal, put };
}
const open: Server[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe('kvstore over HTTP (loopback)', () => {
  it('serves the HTTP key-value contract with majority quorums', async () => {
    const { client } = await cluster();
    const a = client('n1');
    const b = client('n2');
    expect(await b.invoke({ f: 'read', key: 'x', value: null })).toEqual({ type: 'ok', value: null });
    expect(await a.invoke({ f: 'write', key: 'x', value: 1 })).toEqual({ type: 'ok', value: 1 });
    expect(await b.invoke({ f: 'read', key: 'x', value: null })).toEqual({ type: 'ok', value: 1 });
    expect(await b.invoke({ f: 'cas', key: 'x', value: [7, 2] })).toMatchObject({
      type: 'fail',
      error: 'cas-mismatch',
    });
    expect(await b.invoke({ f: 'cas', key: 'x', value: [1, 2] })).toEqual({ type: 'ok', value: [1, 2] });
    expect(await a.invoke({ f: 'read', key: 'x', value: null })).toEqual({ type: 'ok', value: 2 });
    await a.close();
    await b.close();
  });

  it('with R=1 W=1 and slow replication, a read on another node is stale', async () => {
    const { client } = await cluster({ r: 1, w: 1, replicationDelayMs: 300 });
    await client('n1').invoke({ f: 'write', key: 'k', value: 5 });
    expect(await client('n2').invoke({ f: 'read', key: 'k', value: null })).toEqual({
      type: 'ok',
      value: null,
    });
    await new Promise((r) => setTimeout(r, 400));
    expect(await client('n2').invoke({ f: 'read', key: 'k', value: null })).toEqual({ type: 'ok', value: 5 });
  });

  it('last-write-wins loses a later write from a node whose clock is behind', async () => {
    const { client } = await cluster({ clocks: { n1: () => Date.now() - 60_000 } });
    expect(await client('n2').invoke({ f: 'write', key: 'k', value: 1 })).toMatchObject({ type: 'ok' });
    // Acknowledged, yet stamped a minute in the past: every replica keeps 1.
    expect(await client('n1').invoke({ f: 'write', key: 'k', value: 2 })).toMatchObject({ type: 'ok' });
    expect(await client('n3').invoke({ f: 'read', key: 'k', value: null })).toEqual({ type: 'ok', value: 1 });
  });

  it('read repair brings stale replicas up to the newest value seen', async () => {
    const { client, internal, put } = await cluster({ r: 3, w: 1, readRepair: true });
    // A write that reached only n1.
    await put('n1', 'k', { value: 9, version: [Date.now(), 1, 'n1'] });
    expect(await internal('n3', 'k')).toBeUndefined();
    expect(await client('n2').invoke({ f: 'read', key: 'k', value: null })).toEqual({ type: 'ok', value: 9 });
    await new Promise((r) => setTimeout(r, 100));
    expect(await internal('n2', 'k')).toBe(9);
    expect(await internal('n3', 'k')).toBe(9);
  });

  it('answers 503 (info for writes, fail for reads) when a quorum cannot be reached', async () => {
    const { client } = await cluster({ r: 3, w: 3, timeoutMs: 200 });
    open[2]!.close();
    open[2]!.closeAllConnections();
    expect(await client('n1').invoke({ f: 'write', key: 'q', value: 1 })).toMatchObject({ type: 'info' });
    expect(await client('n1').invoke({ f: 'read', key: 'q', value: null })).toMatchObject({ type: 'fail' });
  });
});
