/**
 * faultline's reference store: the HTTP key-value contract of the architecture spec, served
 * by a leaderless, Dynamo-style node. Any node coordinates any request:
 *   write  stamp a version with the local wall clock, send to the key's N replicas, answer 200
 *          after W acknowledgements (503 if they do not come in time: maybe applied);
 *   read   ask the N replicas, answer with the newest of the first R answers (404 if none has
 *          the key), optionally repair stale replicas afterwards;
 *   cas    a read (R) then, if the value matches, a write (W): not atomic across coordinators.
 * Honest and simple on purpose: with R + W <= N it serves stale reads, under partitions it
 * loses writes, and with skewed clocks last-write-wins drops newer writes.
 */
import http from 'node:http';
import { createAgent, httpCall } from '../clients/http.js';
import { newest, preferenceList, Replica, sameValue, type Versioned } from './store.js';

export interface KvConfig {
  node: string;
  port: number;
  /** Every node of the cluster, id → "host:port" (including this one). */
  peers: Record<string, string>;
  n: number;
  r: number;
  w: number;
  readRepair: boolean;
  /** Added latency before each message to another replica (a slow network between nodes). */
  replicationDelayMs: number;
  /** How long a coordinator waits for replicas. */
  timeoutMs: number;
  now?: () => number;
}

type ReplicaAnswer = { node: string; entry: Versioned | undefined };

export function createKvServer(config: KvConfig): http.Server {
  const replica = new Replica(config.node, config.now);
  const nodes = Object.keys(config.peers).sort();
  const agent = createAgent(64);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function remote(node: string, method: string, path: string, body?: unknown) {
    if (config.replicationDelayMs > 0) await sleep(config.replicationDelayMs);
    const r = await httpCall(agent, method, `http://${config.peers[node]}${path}`, body, config.timeoutMs);
    if (r.status !== 200) throw new Error(`replica ${node}: HTTP ${r.status}`);
    return JSON.parse(r.body) as unknown;
  }

  const internalPath = (key: string) => `/internal/kv/${encodeURIComponent(key)}`;

  function readReplica(node: string, key: string): Promise<ReplicaAnswer> {
    if (node === config.node) return Promise.resolve({ node, entry: replica.get(key) });
    return remote(node, 'GET', internalPath(key)).then((b) => ({
      node,
      entry: (b as { entry?: Versioned }).entry,
    }));
  }

  function writeReplica(node: string, key: string, entry: Versioned): Promise<void> {
    if (node === config.node) {
      replica.apply(key, entry);
      return Promise.resolve();
    }
    return remote(node, 'PUT', internalPath(key), { entry }).then(() => undefined);
  }

  /** Resolves once `need` of the promises resolved (with their values), or rejects when that became impossible or timed out. */
  function quorum<T>(promises: Promise<T>[], need: number): Promise<T[]> {
    return new Promise((resolve, reject) => {
      const got: T[] = [];
      let failed = 0;
      const timer = setTimeout(() => reject(new Error('quorum-timeout')), config.timeoutMs);
      for (const p of promises) {
        p.then(
          (v) => {
            got.push(v);
            if (got.length === need) {
              clearTimeout(timer);
              resolve([...got]);
            }
          },
          () => {
            failed++;
            if (promises.length - failed < need) {
              clearTimeout(timer);
              reject(new Error('quorum-unavailable'));
            }
          },
        );
      }
    });
  }

  async function coordinatedRead(key: string): Promise<Versioned | undefined> {
    const replicas = preferenceList(key, nodes, config.n);
    const reads = replicas.map((node) => readReplica(node, key));
    const answers = await quorum(reads, Math.min(config.r, replicas.length));
    const best = newest(answers.map((a) => a.entry));
    if (config.readRepair && best) {
      // Once every replica answered (or not), bring the stale ones up to the newest seen.
      void Promise.allSettled(reads).then((all) => {
        const seen = all.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
        const newestSeen = newest(seen.map((a) => a.entry));
        if (!newestSeen) return;
        for (const a of seen) {
          if (a.entry !== newestSeen) void writeReplica(a.node, key, newestSeen).catch(() => {});
        }
      });
    }
    return best;
  }

  async function coordinatedWrite(key: string, value: unknown): Promise<void> {
    const entry: Versioned = { value, version: replica.stamp() };
    const replicas = preferenceList(key, nodes, config.n);
    await quorum(
      replicas.map((node) => writeReplica(node, key, entry)),
      Math.min(config.w, replicas.length),
    );
  }

  async function body(req: http.IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    return text ? (JSON.parse(text) as unknown) : {};
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = (status: number, payload: unknown) => {
      const text = JSON.stringify(payload);
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
    };
    const url = new URL(req.url ?? '/', 'http://x');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    try {
      if (req.method === 'GET' && url.pathname === '/health') {
        return send(200, { node: config.node, keys: replica.size, time: Date.now() });
      }
      if (parts[0] === 'internal' && parts[1] === 'kv' && parts.length === 3) {
        const key = parts[2]!;
        if (req.method === 'GET') return send(200, { entry: replica.get(key) });
        if (req.method === 'PUT') {
          const { entry } = (await body(req)) as { entry: Versioned };
          return send(200, { applied: replica.apply(key, entry) });
        }
      }
      if (parts[0] === 'kv' && parts.length >= 2) {
        const key = parts[1]!;
        if (req.method === 'GET' && parts.length === 2) {
          const best = await coordinatedRead(key);
          return best ? send(200, { value: best.value }) : send(404, { error: 'not-found' });
        }
        if (req.method === 'PUT' && parts.length === 2) {
          const { value } = (await body(req)) as { value: unknown };
          await coordinatedWrite(key, value);
          return send(200, { value });
        }
        if (req.method === 'POST' && parts.length === 3 && parts[2] === 'cas') {
          const { from, to } = (await body(req)) as { from: unknown; to: unknown };
          const current = await coordinatedRead(key);
          if (!sameValue(current?.value ?? null, from)) {
            return send(409, { error: 'cas-mismatch', value: current?.value ?? null });
          }
          await coordinatedWrite(key, to);
          return send(200, { value: to });
        }
      }
      send(404, { error: 'no-such-route' });
    } catch (e) {
      send(503, { error: (e as Error).message });
    }
  }

  const server = http.createServer((req, res) => {
    void handle(req, res);
  });
  server.keepAliveTimeout = 30_000;
  server.on('close', () => agent.destroy());
  return server;
}

/** Reads the configuration from the environment (how the kvstore target starts a node). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): KvConfig {
  const num = (name: string, dflt: number) => {
    const v = env[name];
    if (v === undefined || v === '') return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number ≥ 0 (got "${v}")`);
    return n;
  };
  const peers: Record<string, string> = {};
  for (const part of (env.KV_PEERS ?? '').split(',').filter(Boolean)) {
    const [id, addr] = part.split('=');
    if (!id || !addr) throw new Error(`KV_PEERS: expected id=host:port,... (got "${part}")`);
    peers[id] = addr;
  }
  const node = env.KV_NODE ?? 'n1';
  const port = num('KV_PORT', 8000);
  if (Object.keys(peers).length === 0) peers[node] = `127.0.0.1:${port}`;
  const size = Object.keys(peers).length;
  const n = num('KV_N', size);
  const config: KvConfig = {
    node,
    port,
    peers,
    n,
    r: num('KV_R', Math.floor(n / 2) + 1),
    w: num('KV_W', Math.floor(n / 2) + 1),
    readRepair: env.KV_READ_REPAIR === '1' || env.KV_READ_REPAIR === 'true',
    replicationDelayMs: num('KV_REPLICATION_DELAY_MS', 0),
    timeoutMs: num('KV_TIMEOUT_MS', 1000),
  };
  validateConfig(config);
  return config;
}

export function validateConfig(c: { n: number; r: number; w: number; peers: Record<string, string> }): void {
  const size = Object.keys(c.peers).length;
  if (!Number.isInteger(c.n) || c.n < 1 || c.n > size) throw new Error(`N must be 1..${size} (got ${c.n})`);
  if (!Number.isInteger(c.r) || c.r < 1 || c.r > c.n) throw new Error(`R must be 1..N=${c.n} (got ${c.r})`);
  if (!Number.isInteger(c.w) || c.w < 1 || c.w > c.n) throw new Error(`W must be 1..N=${c.n} (got ${c.w})`);
}
