/**
 * Local runtime benchmarks (no Docker; print figures, never pass/fail):
 *   1. start (every node ready) and stop (every process gone) times of 3-node kvstore and etcd
 *      clusters (etcd when /usr/bin/etcd is installed; also deployed for partitions, its peers
 *      then through the proxy); goals 1 s (kvstore) and 3 s (etcd);
 *   2. the TCP fault proxy's overhead: requests per second through the proxy versus direct,
 *      10 concurrent keep-alive HTTP workers, against a trivial HTTP server in another process
 *      (the proxy's worst case), against a kvstore node and against an etcd member (its peers
 *      talk through the proxy's shared peer routes either way); goal ≥ 0.8 of direct.
 * Run: `node dist/bench/local.js` (after `npm run build`), or import { main }.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { launch } from '../src/runner/start.js';
import type { Cluster, FaultKind } from '../src/runtime/cluster.js';
import { createLocalRuntime } from '../src/runtime/local/index.js';
import { CLIENT, FaultProxy } from '../src/runtime/proxy/index.js';
import { etcdTarget } from '../src/targets/etcd/index.js';
import { kvstoreTarget } from '../src/targets/kvstore/index.js';
import type { Target } from '../src/targets/types.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) =>
  `median ${median(xs).toFixed(0)} ms (${xs.map((x) => x.toFixed(0)).join(', ')})`;

export async function upDown(
  target: Target,
  rounds: number,
  faults: FaultKind[] = [],
): Promise<{ upMs: number[]; downMs: number[] }> {
  const runtime = createLocalRuntime();
  const upMs: number[] = [];
  const downMs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const cluster = await launch(runtime, target, { faults });
    const t1 = performance.now();
    await cluster.stop();
    const t2 = performance.now();
    upMs.push(t1 - t0);
    downMs.push(t2 - t1);
  }
  return { upMs, downMs };
}

/** Requests per second of `workers` keep-alive loops against host:port for ms. */
export async function hammer(
  host: string,
  port: number,
  path: string,
  method: string,
  body: string | undefined,
  workers: number,
  ms: number,
) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: workers, noDelay: true } as http.AgentOptions);
  const deadline = performance.now() + ms;
  let done = 0;
  let failed = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const req = http.request(
        { host, port, path, method, agent, headers: { 'content-type': 'application/json' } },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode && res.statusCode < 300) done++;
            else failed++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        failed++;
        resolve();
      });
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < deadline) await one();
    }),
  );
  agent.destroy();
  return { perS: (done * 1000) / ms, failed };
}

/**
 * Direct and proxied runs interleaved in short rounds after a warm-up, medians of each: the
 * machine's load changes over seconds, and a plain "direct, then proxied" compares moments.
 */
async function alternate(
  once: (port: number, ms: number) => Promise<{ perS: number }>,
  directPort: number,
  proxyPort: number,
  ms: number,
  rounds = 6,
): Promise<{ direct: number; proxied: number; ratio: number }> {
  await once(directPort, 300);
  await once(proxyPort, 300);
  const direct: number[] = [];
  const proxied: number[] = [];
  for (let i = 0; i < rounds; i++) {
    direct.push((await once(directPort, ms / rounds)).perS);
    proxied.push((await once(proxyPort, ms / rounds)).perS);
  }
  const ratios = direct.map((d, i) => proxied[i]! / d);
  return { direct: median(direct), proxied: median(proxied), ratio: median(ratios) };
}

const SERVER = `require('node:http').createServer((q, s) => { q.resume(); q.on('end', () => s.end('{"value":1}')); }).listen(0, '127.0.0.1', function () { process.stdout.write(String(this.address().port) + '\\n'); });`;

export async function proxyVsDirectTrivial(workers = 10, ms = 6000) {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) =>
    child.stdout!.once('data', (d) => resolve(Number(String(d)))),
  );
  const proxy = new FaultProxy();
  const route = await proxy.addRoute({ from: CLIENT, to: 'n1', targetHost: '127.0.0.1', targetPort: port });
  try {
    return await alternate(
      (p, t) => hammer('127.0.0.1', p, '/', 'GET', undefined, workers, t),
      port,
      route.port,
      ms,
    );
  } finally {
    await proxy.close();
    child.kill('SIGKILL');
  }
}

export async function proxyVsDirectKvstore(workers = 10, ms = 6000) {
  const cluster: Cluster = await launch(createLocalRuntime(), kvstoreTarget);
  try {
    const nodes = (
      cluster.info as { nodes: { host: string; ports: { client: number }; listens: { client: number } }[] }
    ).nodes;
    const body = JSON.stringify({ value: 1 });
    return await alternate(
      (p, t) => hammer(nodes[0]!.host, p, '/kv/a', 'PUT', body, workers, t),
      nodes[0]!.listens.client,
      nodes[0]!.ports.client,
      ms,
    );
  } finally {
    await cluster.stop();
  }
}

/** etcd PUTs on one member (Raft through the peer proxy either way): the client route's cost. */
export async function proxyVsDirectEtcd(workers = 10, ms = 6000) {
  const cluster: Cluster = await launch(createLocalRuntime(), etcdTarget, { faults: ['partition'] });
  try {
    const nodes = (
      cluster.info as { nodes: { host: string; ports: { client: number }; listens: { client: number } }[] }
    ).nodes;
    const body = JSON.stringify({ key: Buffer.from('a').toString('base64'), value: 'MQ==' });
    return await alternate(
      (p, t) => hammer(nodes[0]!.host, p, '/v3/kv/put', 'POST', body, workers, t),
      nodes[0]!.listens.client,
      nodes[0]!.ports.client,
      ms,
    );
  } finally {
    await cluster.stop();
  }
}

export async function main(): Promise<void> {
  const kv = await upDown(kvstoreTarget, 5);
  console.log(
    `kvstore 3 nodes (local): start ${fmt(kv.upMs)} (the first bundles the store); stop ${fmt(kv.downMs)}; goal start ≤ 1000 ms`,
  );
  if (existsSync('/usr/bin/etcd')) {
    const etcd = await upDown(etcdTarget, 3);
    console.log(
      `etcd 3 nodes (local): start ${fmt(etcd.upMs)}; stop ${fmt(etcd.downMs)}; goal start ≤ 3000 ms`,
    );
    const cut = await upDown(etcdTarget, 3, ['partition']);
    console.log(
      `etcd 3 nodes (local), deployed for partitions (peers through the proxy): start ${fmt(cut.upMs)}; stop ${fmt(cut.downMs)}; goal start ≤ 3000 ms`,
    );
  } else console.log('etcd: /usr/bin/etcd is not installed, skipped');
  const trivial = await proxyVsDirectTrivial();
  console.log(
    `proxy, trivial HTTP server, 10 workers: direct ${trivial.direct.toFixed(0)} req/s, through the proxy ${trivial.proxied.toFixed(0)} req/s, ratio ${trivial.ratio.toFixed(2)} (goal ≥ 0.8)`,
  );
  const kvs = await proxyVsDirectKvstore();
  console.log(
    `proxy, kvstore PUTs on one node, 10 workers: direct ${kvs.direct.toFixed(0)} ops/s, through the proxy ${kvs.proxied.toFixed(0)} ops/s, ratio ${kvs.ratio.toFixed(2)} (goal ≥ 0.8)`,
  );
  if (existsSync('/usr/bin/etcd')) {
    const e = await proxyVsDirectEtcd();
    console.log(
      `proxy, etcd PUTs on one member (peers through the proxy's shared routes), 10 workers: direct ${e.direct.toFixed(0)} ops/s, through the proxy ${e.proxied.toFixed(0)} ops/s, ratio ${e.ratio.toFixed(2)} (goal ≥ 0.8)`,
    );
  }
  console.log(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (${cpus().length} cores)`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
