import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReplyError } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpKvClient } from '../src/clients/http-kv.js';
import type { ClusterNode } from '../src/runtime/cluster.js';
import { etcdClient } from '../src/targets/etcd/client.js';
import { classifyRedisError } from '../src/targets/redis/client.js';

/** A loopback server answering by route: what a misbehaving store would do. */
let server: http.Server;
let port = 0;
const routes: Record<string, (body: string, res: http.ServerResponse) => void> = {};
beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const handler = routes[`${req.method} ${req.url}`];
      if (handler) handler(body, res);
      else res.writeHead(500).end('{"error":"no route"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const node = (): ClusterNode => ({ name: 'n1', host: '127.0.0.1', ports: { client: port }, role: 'member' });
const json = (status: number, payload: unknown) => (_: string, res: http.ServerResponse) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));

describe('HTTP KV client classification', () => {
  it('maps the contract statuses to ok / fail / info', async () => {
    routes['GET /kv/a'] = json(200, { value: 3 });
    routes['GET /kv/b'] = json(404, {});
    routes['GET /kv/c'] = json(503, { error: 'quorum-timeout' });
    routes['PUT /kv/a'] = json(200, { value: 4 });
    routes['PUT /kv/c'] = json(503, { error: 'quorum-timeout' });
    routes['POST /kv/a/cas'] = json(409, { error: 'cas-mismatch' });
    routes['POST /kv/c/cas'] = json(500, {});
    const c = httpKvClient(node(), { timeoutMs: 500 });
    expect(await c.invoke({ f: 'read', key: 'a', value: null })).toEqual({ type: 'ok', value: 3 });
    expect(await c.invoke({ f: 'read', key: 'b', value: null })).toEqual({ type: 'ok', value: null });
    expect(await c.invoke({ f: 'read', key: 'c', value: null })).toMatchObject({
      type: 'fail',
      error: 'quorum-timeout',
    });
    expect(await c.invoke({ f: 'write', key: 'a', value: 4 })).toEqual({ type: 'ok', value: 4 });
    expect(await c.invoke({ f: 'write', key: 'c', value: 4 })).toMatchObject({
      type: 'info',
      error: 'quorum-timeout',
    });
    expect(await c.invoke({ f: 'cas', key: 'a', value: [1, 2] })).toMatchObject({
      type: 'fail',
      error: 'cas-mismatch',
    });
    expect(await c.invoke({ f: 'cas', key: 'c', value: [1, 2] })).toMatchObject({ type: 'info' });
    await c.close();
  });

  it('a timeout is info for a write and fail for a read', async () => {
    routes['PUT /kv/slow'] = (_, res) => setTimeout(() => res.writeHead(200).end('{}'), 400);
    routes['GET /kv/slow'] = (_, res) => setTimeout(() => res.writeHead(200).end('{}'), 400);
    const c = httpKvClient(node(), { timeoutMs: 100 });
    const started = performance.now();
    expect(await c.invoke({ f: 'write', key: 'slow', value: 1 })).toMatchObject({
      type: 'info',
      error: 'timeout',
    });
    expect(performance.now() - started).toBeLessThan(300);
    expect(await c.invoke({ f: 'read', key: 'slow', value: null })).toMatchObject({
      type: 'fail',
      error: 'timeout',
    });
    await c.close();
  });

  it('a refused connection is fail even for a write (it was never sent)', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const c = httpKvClient({ ...node(), ports: { client: deadPort } }, { timeoutMs: 500 });
    expect(await c.invoke({ f: 'write', key: 'a', value: 1 })).toMatchObject({
      type: 'fail',
      error: 'refused',
    });
    await c.close();
  });

  it('a reset after sending is info for a write', async () => {
    routes['PUT /kv/reset'] = (_, res) => res.socket?.destroy();
    const c = httpKvClient(node(), { timeoutMs: 500 });
    expect(await c.invoke({ f: 'write', key: 'reset', value: 1 })).toMatchObject({ type: 'info' });
    await c.close();
  });
});

describe('etcd client (gRPC gateway JSON)', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  it('decodes ranges, classifies txn results and gateway errors', async () => {
    let lastRange = '';
    routes['POST /v3/kv/range'] = (body, res) => {
      lastRange = body;
      json(200, { header: {}, kvs: [{ key: b64('7'), value: b64('12') }] })(body, res);
    };
    routes['POST /v3/kv/txn'] = json(200, { header: {} });
    routes['POST /v3/kv/put'] = json(503, { error: 'etcdserver: request timed out', code: 14 });
    const c = etcdClient(node(), { timeoutMs: 500, serializable: true });
    expect(await c.invoke({ f: 'read', key: 7, value: null })).toEqual({ type: 'ok', value: 12 });
    expect(JSON.parse(lastRange)).toEqual({ key: b64('7'), serializable: true });
    expect(await c.invoke({ f: 'cas', key: 7, value: [1, 2] })).toMatchObject({
      type: 'fail',
      error: 'cas-mismatch',
    });
    expect(await c.invoke({ f: 'write', key: 7, value: 1 })).toMatchObject({
      type: 'info',
      error: 'request-timed-out',
    });
    routes['POST /v3/kv/txn'] = json(200, { header: {}, succeeded: true });
    expect(await c.invoke({ f: 'cas', key: 7, value: [1, 2] })).toEqual({ type: 'ok', value: [1, 2] });
    await c.close();
  });
});

describe('Redis error classification', () => {
  it('reply errors are definite, lost connections and timeouts are not', () => {
    expect(
      classifyRedisError(false, new ReplyError("READONLY You can't write against a read only replica.")),
    ).toMatchObject({
      type: 'fail',
      error: 'readonly',
    });
    expect(
      classifyRedisError(false, new Error("Stream isn't writeable and enableOfflineQueue options is false")),
    ).toMatchObject({
      type: 'fail',
    });
    expect(classifyRedisError(false, new Error('Command timed out'))).toMatchObject({
      type: 'info',
      error: 'timeout',
    });
    expect(classifyRedisError(false, new Error('Connection is closed.'))).toMatchObject({ type: 'info' });
    expect(classifyRedisError(true, new Error('Connection is closed.'))).toMatchObject({ type: 'fail' });
  });
});
