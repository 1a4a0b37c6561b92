/**
 * The local runtime against real processes (faultline's kvstore; etcd when installed) and its
 * TCP fault proxy: partitions per pair (hold and refuse), latency, bandwidth, resets; kill and
 * pause take effect; latency raises the affected node's clients' latencies by about the delay;
 * nothing (process, port) is left after a stop.
 */
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { launch } from '../../src/runner/start.js';
import type { LocalCluster } from '../../src/runtime/local/index.js';
import { createLocalRuntime } from '../../src/runtime/local/index.js';
import { CLIENT, FaultProxy, UNKNOWN } from '../../src/runtime/proxy/index.js';
import { etcdTarget } from '../../src/targets/etcd/index.js';
import { kvstoreTarget } from '../../src/targets/kvstore/index.js';
import { call, expectNothingLeft, portsOf } from './local-helpers.js';

const runtime = createLocalRuntime();
afterAll(() => runtime.stopAll());

/** An echo server and a proxy route to it. */
async function echoRoute(blackhole: 'hold' | 'refuse' = 'hold') {
  const server = net.createServer((s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const proxy = new FaultProxy({ blackhole });
  const route = await proxy.addRoute({ from: 'n1', to: 'n2', targetHost: '127.0.0.1', targetPort: port });
  const close = async () => {
    await proxy.close();
    await new Promise((r) => server.close(r));
  };
  return { proxy, route, close };
}

/** Sends `text` and resolves with the echo and how long it took, or 'timeout'. */
function roundTrip(
  socket: net.Socket,
  text: string,
  timeoutMs = 1000,
): Promise<number | 'timeout' | 'closed'> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let got = '';
    const onData = (d: Buffer) => {
      got += d.toString();
      if (got.length >= text.length) done(performance.now() - t0);
    };
    const onClose = () => done('closed');
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    const done = (v: number | 'timeout' | 'closed') => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve(v);
    };
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.write(text);
  });
}

const connect = (port: number) =>
  new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.on('error', reject);
  });

describe('TCP fault proxy', () => {
  it('forwards, delays by about the latency on the sender side only, and holds a cut pair until the heal', async () => {
    const { proxy, route, close } = await echoRoute();
    const s = await connect(route.port);
    expect(await roundTrip(s, 'hello')).toBeLessThan(50);
    // Latency on n2's egress: the echo comes back ~100 ms later.
    proxy.setToxics('n2', { delayMs: 100, jitterMs: 10 });
    const delayed = await roundTrip(s, 'world');
    expect(delayed).toBeGreaterThan(85);
    expect(delayed).toBeLessThan(250);
    proxy.heal();
    expect(await roundTrip(s, 'again')).toBeLessThan(50);
    // n2 drops what n1 sends: nothing arrives; after the heal it does (as TCP would deliver).
    proxy.partition({ n2: ['n1'] });
    expect(await roundTrip(s, 'cut', 300)).toBe('timeout');
    // A new connection is accepted but not connected onward either.
    const s2 = await connect(route.port);
    expect(await roundTrip(s2, 'new', 300)).toBe('timeout');
    proxy.heal();
    expect(await roundTrip(s2, '', 1000)).not.toBe('closed');
    s.destroy();
    s2.destroy();
    await close();
  });

  it('refuse mode resets connections of a cut pair and refuses new ones; reset ends open ones', async () => {
    const { proxy, route, close } = await echoRoute('refuse');
    const s = await connect(route.port);
    s.on('error', () => {});
    expect(await roundTrip(s, 'hi')).toBeLessThan(50);
    proxy.partition({ n1: ['n2'], n2: ['n1'] });
    await new Promise((r) => setTimeout(r, 50));
    expect(s.destroyed || s.readyState !== 'open').toBe(true);
    const refused = await connect(route.port).then(
      (c) =>
        new Promise<boolean>((resolve) => {
          c.on('error', () => resolve(true));
          c.on('close', () => resolve(true));
          setTimeout(() => resolve(false), 500);
        }),
      () => true,
    );
    expect(refused).toBe(true);
    proxy.heal();
    const s3 = await connect(route.port);
    s3.on('error', () => {});
    expect(await roundTrip(s3, 'back')).toBeLessThan(50);
    expect(proxy.reset('n2')).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(s3.destroyed || s3.readyState !== 'open').toBe(true);
    await close();
  });

  it('a shared route names each sender with the identify hook (across chunks) and cuts per pair; an unnamed one is never cut', async () => {
    const server = net.createServer((c) => {
      c.on('error', () => {});
      c.pipe(c);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const proxy = new FaultProxy();
    const route = await proxy.addRoute({
      from: UNKNOWN,
      to: 'n3',
      targetHost: '127.0.0.1',
      targetPort: (server.address() as net.AddressInfo).port,
      identify: (d) => /from:(n\d)\n/.exec(d.toString())?.[1],
    });
    const [a, b, anon] = await Promise.all([1, 2, 3].map(() => connect(route.port)));
    // The marker arrives in two chunks; the carry joins them.
    expect(await roundTrip(a!, 'hello fr')).toBeLessThan(50);
    expect(await roundTrip(a!, 'om:n1\n')).toBeLessThan(50);
    expect(await roundTrip(b!, 'from:n2\n')).toBeLessThan(50);
    expect(await roundTrip(anon!, 'who knows\n')).toBeLessThan(50);
    expect(proxy.stats.identified).toBe(2);
    proxy.partition({ n3: ['n1'] });
    expect(await roundTrip(a!, 'cut', 300)).toBe('timeout');
    expect(await roundTrip(b!, 'fine')).toBeLessThan(50);
    expect(await roundTrip(anon!, 'fine')).toBeLessThan(50);
    // A sender named only after the cut is held from its first named byte.
    const late = await connect(route.port);
    expect(await roundTrip(late, 'from:n1\n', 300)).toBe('timeout');
    proxy.heal();
    for (const s of [a!, b!, anon!, late]) s.destroy();
    await proxy.close();
    await new Promise((r) => server.close(r));
  });

  it('limits bandwidth', async () => {
    const { proxy, route, close } = await echoRoute();
    proxy.setToxics('n1', { bandwidthBytesPerS: 100_000 });
    const s = await connect(route.port);
    const ms = await roundTrip(s, 'x'.repeat(50_000), 3000);
    // 50 kB at 100 kB/s: about half a second.
    expect(ms).toBeGreaterThan(350);
    expect(ms).toBeLessThan(1500);
    s.destroy();
    await close();
  });
});

describe('local runtime, kvstore', () => {
  it('starts a 3-node cluster behind the proxy; kill and pause take effect; latency adds about the delay; nothing is left', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'faultline-local-test-'));
    const t0 = performance.now();
    const cluster = (await launch(runtime, kvstoreTarget, {
      logDir,
      targetOptions: { readQuorum: 1, writeQuorum: 1 },
    })) as LocalCluster;
    const startMs = performance.now() - t0;
    console.log(`[local] kvstore 3 nodes ready in ${startMs.toFixed(0)} ms`);
    const ports = portsOf(cluster.info);
    const url = (node: number, key = 'a') => {
      const n = cluster.nodes[node]!;
      return `http://${n.host}:${n.ports.client}/kv/${key}`;
    };
    try {
      expect(Object.values(cluster.faults).every((f) => f.supported)).toBe(true);
      expect((await call(url(0), 'PUT', { value: 1 })).status).toBe(200);
      expect((await call(url(1))).body).toBe('{"value":1}');

      // Kill: n1's operations fail at once (refused behind the proxy); start brings it back, data kept.
      await cluster.kill('n1');
      const killed = await call(url(0));
      expect(killed.status).toBe('error');
      expect(killed.ms).toBeLessThan(500);
      await cluster.start('n1');
      let back: Awaited<ReturnType<typeof call>> | undefined;
      for (let i = 0; i < 40 && back?.status !== 200; i++) {
        back = await call(url(0));
        if (back.status !== 200) await new Promise((r) => setTimeout(r, 50));
      }
      expect(back?.body).toBe('{"value":1}');

      // Pause: n2 answers nothing until resumed; the request then completes.
      await cluster.pause('n2');
      expect((await call(url(1), 'GET', undefined, 500)).status).toBe('timeout');
      const pending = call(url(1), 'GET', undefined, 3000);
      await new Promise((r) => setTimeout(r, 300));
      await cluster.resume('n2');
      const resumed = await pending;
      expect(resumed.status).toBe(200);
      expect(resumed.ms).toBeGreaterThan(250);

      // Latency on n1 (100 ± 20 ms on what it sends): its clients' reads rise by about that much,
      // n2's (R=1: answered by n2 alone) stay fast.
      const mean = async (node: number) => {
        const ms: number[] = [];
        for (let i = 0; i < 10; i++) ms.push((await call(url(node))).ms);
        return ms.reduce((a, b) => a + b, 0) / ms.length;
      };
      const before = await mean(0);
      await cluster.net('n1', { delayMs: 100, jitterMs: 20 });
      const during = await mean(0);
      const other = await mean(1);
      await cluster.heal();
      const after = await mean(0);
      console.log(
        `[local] n1 read latency: before ${before.toFixed(1)} ms, with 100±20 ms ${during.toFixed(1)} ms, after ${after.toFixed(1)} ms; n2 meanwhile ${other.toFixed(1)} ms`,
      );
      expect(during - before).toBeGreaterThan(70);
      expect(during - before).toBeLessThan(170);
      expect(other).toBeLessThan(before + 50);
      expect(after).toBeLessThan(before + 50);

      // Partition n3 away: a write on n1 (W=1) is not seen by a read on n3 (R=1), until the heal.
      await cluster.partition({ n3: ['n1', 'n2'], n1: ['n3'], n2: ['n3'] });
      expect((await call(url(0, 'p'), 'PUT', { value: 7 })).status).toBe(200);
      expect((await call(url(2, 'p'))).status).toBe(404);
      await cluster.heal();
    } finally {
      await cluster.stop();
    }
    expect(await expectNothingLeft(logDir, ports)).toEqual([]);
  }, 60_000);

  it('clock offsets reach the node through libfaketime', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'faultline-local-test-'));
    const cluster = await launch(runtime, kvstoreTarget, { logDir, targetOptions: { clock: 'wall' } });
    try {
      expect(cluster.faults.clock).toEqual({ supported: true });
      await cluster.clock('n2', { kind: 'offset', seconds: -3600 });
      // A write through n2 is stamped an hour back: the earlier write through n1 wins (LWW).
      expect(
        (
          await call(`http://${cluster.nodes[0]!.host}:${cluster.nodes[0]!.ports.client}/kv/c`, 'PUT', {
            value: 1,
          })
        ).status,
      ).toBe(200);
      expect(
        (
          await call(`http://${cluster.nodes[1]!.host}:${cluster.nodes[1]!.ports.client}/kv/c`, 'PUT', {
            value: 2,
          })
        ).status,
      ).toBe(200);
      expect(
        (await call(`http://${cluster.nodes[2]!.host}:${cluster.nodes[2]!.ports.client}/kv/c`)).body,
      ).toBe('{"value":1}');
      await cluster.clock('n2', { kind: 'reset' });
    } finally {
      await cluster.stop();
    }
  }, 30_000);
});

describe.skipIf(!(await import('node:fs')).existsSync('/usr/bin/etcd'))('local runtime, etcd', () => {
  it('partitions per sender (one advertised peer address per member, senders named), kill, pause and latency supported; clock refused', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'faultline-local-test-'));
    const cluster = await launch(runtime, etcdTarget, { logDir, faults: ['partition'] });
    const ports = portsOf(cluster.info);
    try {
      expect(cluster.faults.partition.supported).toBe(true);
      expect(JSON.stringify(cluster.info.proxy)).toMatch(/names each connection's sender/);
      expect(
        cluster.faults.kill.supported && cluster.faults.pause.supported && cluster.faults.latency.supported,
      ).toBe(true);
      expect(cluster.faults.clock.supported).toBe(false);
      const clock = cluster.faults.clock;
      expect(clock.supported ? '' : clock.reason).toMatch(/libfaketime/);
    } finally {
      await cluster.stop();
    }
    expect(await expectNothingLeft(logDir, ports)).toEqual([]);
  }, 30_000);
});

describe.skipIf(!(await import('node:fs')).existsSync('/usr/bin/etcd'))(
  'local runtime, etcd without partitions',
  () => {
    it('members dial each other directly when the run asks for no partitions; partitions then refused, with the reason', async () => {
      const logDir = mkdtempSync(join(tmpdir(), 'faultline-local-test-'));
      const cluster = (await launch(runtime, etcdTarget, { logDir })) as LocalCluster;
      const ports = portsOf(cluster.info);
      try {
        const p = cluster.faults.partition;
        expect(p.supported ? '' : p.reason).toMatch(/deployed without partitions/);
        expect(cluster.proxy.list().some((r) => r.from === UNKNOWN)).toBe(false);
      } finally {
        await cluster.stop();
      }
      expect(await expectNothingLeft(logDir, ports)).toEqual([]);
    }, 30_000);
  },
);

it('the proxy names its client endpoint', () => expect(CLIENT).toBe('client'));
