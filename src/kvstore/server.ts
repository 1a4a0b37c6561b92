/**
 * faultline's reference store: the HTTP key-value contract of the architecture spec (with the
 * optional add and incr), served by a leaderless node over the key's N replicas. Any node
 * coordinates any request (coordinator.ts). Each known weakness is a switch, so that every
 * fault faultline injects has a store that must survive it and one that must fail it.
 *
 * KV_MODE=legacy (default) | correct       presets; the switches below override them
 *   legacy   = KV_CLOCK=wall KV_WRITE_BACK=0 KV_READ_ONE=0 KV_CAS=racy (the Dynamo design,
 *              and this store's behaviour before the modes existed)
 *   correct  = KV_CLOCK=logical KV_WRITE_BACK=1 KV_READ_ONE=0 KV_CAS=atomic: linearizable
 *              read, write, cas, add and incr (CASPaxos per key) as long as R + W > N and,
 *              under kill faults, KV_DATA_DIR is set
 * KV_CLOCK=wall | logical
 *   wall     writes are blind: stamped with the local wall clock (ms, seq, node) and sent to
 *            W replicas, which keep the highest stamp. BREAKS under clock faults: a node
 *            whose clock is behind has its acknowledged writes silently dropped; concurrent
 *            writes from different nodes in the same millisecond are ordered by node name.
 *   logical  writes are Paxos rounds with Lamport ballots (counter = highest seen + 1,
 *            incarnation, node): phase 1 at R replicas, phase 2 at W.
 * KV_WRITE_BACK=0 | 1
 *   0        a read answers the newest of R answers as it is. BREAKS: a write that reached
 *            some replicas is seen by one read and not by a later one (new-old inversion).
 *   1        unless W replicas already hold the newest value, the read first makes them hold
 *            it (wall: ABD write-back with the value's own stamp; logical: a Paxos round).
 * KV_READ_ONE=0 | 1
 *   1        reads are answered by the coordinator's own replica alone (the first replica to
 *            answer when it holds none). BREAKS: stale reads whenever that replica missed a
 *            write; with clients roaming between nodes, monotonic reads and read-your-writes.
 * KV_CAS=racy | atomic                     (covers every read-modify-write: cas, add, incr)
 *   racy     a read, then a write if the value matched. BREAKS under concurrency: two cas
 *            from the same value both succeed, concurrent adds and incrs lose updates.
 *   atomic   one Paxos round that reads and writes under one promise.
 * KV_N, KV_R, KV_W   replicas per key (default all nodes), read and write quorums (default
 *            majority). R + W <= N BREAKS every mode: quorums miss each other, stale reads.
 * KV_DATA_DIR        where a replica keeps its state (fsynced before it answers; log.ts).
 *            Without it state is in memory only and a killed node restarts empty: BREAKS
 *            every mode under kill faults (an acknowledged write can vanish from a quorum).
 * KV_READ_REPAIR=1   after a read, bring stale replicas up to the newest seen (asynchronous).
 * KV_REPLICATION_DELAY_MS  added latency before each message to another replica.
 * KV_TIMEOUT_MS      how long a coordinator waits for a quorum (then 503: maybe applied).
 * KV_NODE, KV_PORT, KV_PEERS=id=host:port,...   who this node is and who the others are.
 *
 * Replies: GET /kv/:key 200 {value} | 404; PUT /kv/:key {value} 200; POST /kv/:key/cas
 * {from, to} 200 | 409 {value}; POST /kv/:key/add {element} 200 (the value is a set, read back
 * as a sorted array); POST /kv/:key/incr {delta} 200 {value}; 400 for a malformed body or a
 * value of the wrong type; 503 when no quorum answered in time (for writes: maybe applied).
 */
import http from 'node:http';
import { createAgent, httpCall } from '../clients/http.js';
import { type Change, createCoordinator, type Modes, type Reply, type Transport } from './coordinator.js';
import { SlotLog } from './log.js';
import {
  type AcceptAnswer,
  type PrepareAnswer,
  Replica,
  sameValue,
  type Version,
  type Versioned,
} from './store.js';

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
  /** The weakness switches; absent means legacy (see the header). */
  modes?: Partial<Modes>;
  /** Durable replica state; absent means memory only. */
  dataDir?: string;
  now?: () => number;
}

export const LEGACY: Modes = { clock: 'wall', writeBack: false, readOne: false, cas: 'racy' };
export const CORRECT: Modes = { clock: 'logical', writeBack: true, readOne: false, cas: 'atomic' };

type Node = { replica: Replica; log?: SlotLog };

async function openNode(config: KvConfig): Promise<Node> {
  const now = config.now ?? Date.now;
  if (!config.dataDir) return { replica: new Replica(config.node, now, Math.floor(Math.random() * 2 ** 31)) };
  const { log, slots, incarnation } = await SlotLog.open(config.dataDir);
  const replica = new Replica(config.node, now, incarnation, log);
  for (const [key, slot] of slots) replica.restore(key, slot);
  return { replica, log };
}

/** Reaches replicas over HTTP, and this node's own replica directly (after its log is synced). */
function transport(config: KvConfig, { replica, log }: Node, agent: http.Agent): Transport {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const path = (key: string, what = '') => `/internal/kv/${encodeURIComponent(key)}${what}`;
  async function remote<T>(node: string, method: string, url: string, body?: unknown): Promise<T> {
    if (config.replicationDelayMs > 0) await sleep(config.replicationDelayMs);
    const r = await httpCall(agent, method, `http://${config.peers[node]}${url}`, body, config.timeoutMs);
    if (r.status !== 200) throw new Error(`replica ${node}: HTTP ${r.status}`);
    return JSON.parse(r.body) as T;
  }
  const local = async <T>(answer: T) => {
    await log?.synced();
    return answer;
  };
  const self = (node: string) => node === config.node;
  return {
    query: (node, key) => (self(node) ? local(queryAnswer(replica, key)) : remote(node, 'GET', path(key))),
    prepare: (node, key, ballot) =>
      self(node)
        ? local(replica.prepare(key, ballot))
        : remote(node, 'POST', path(key, '/prepare'), { ballot }),
    accept: (node, key, entry) =>
      self(node) ? local(replica.accept(key, entry)) : remote(node, 'PUT', path(key), { entry }),
  };
}

const queryAnswer = (replica: Replica, key: string): PrepareAnswer => ({
  ok: true,
  entry: replica.get(key),
  promise: replica.promiseOf(key),
});

/** Sets are kept as sorted arrays, so equal sets have equal JSON. */
function compareElements(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

const wrongType = (what: string): Reply => ({ status: 400, body: { error: `value-not-a-${what}` } });

export const casChange =
  (from: unknown, to: unknown): Change =>
  (current) =>
    sameValue(current ?? null, from)
      ? { reply: { status: 200, body: { value: to } }, next: { value: to } }
      : { reply: { status: 409, body: { error: 'cas-mismatch', value: current ?? null } } };

export const addChange =
  (element: unknown): Change =>
  (current) => {
    if (current !== undefined && !Array.isArray(current)) return { reply: wrongType('set') };
    const set = (current ?? []) as unknown[];
    const reply = { status: 200, body: { element } };
    if (set.some((e) => sameValue(e, element))) return { reply };
    return { reply, next: { value: [...set, element].sort(compareElements) } };
  };

export const incrChange =
  (delta: number): Change =>
  (current) => {
    if (current !== undefined && typeof current !== 'number') return { reply: wrongType('number') };
    const value = (current ?? 0) + delta;
    return { reply: { status: 200, body: { value } }, next: { value } };
  };

async function body(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const parsed = text ? (JSON.parse(text) as unknown) : {};
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
}

const bad = (error: string): Reply => ({ status: 400, body: { error } });

export function createKvServer(config: KvConfig): http.Server {
  const modes: Modes = { ...LEGACY, ...config.modes };
  const nodes = Object.keys(config.peers).sort();
  const agent = createAgent(64);
  const ready = openNode(config).then((node) => ({
    ...node,
    kv: createCoordinator(node.replica, nodes, config, modes, transport(config, node, agent)),
  }));
  ready.catch(() => {}); // reported by every request (503) and by main.ts

  /** The replica-to-replica API the coordinators use. */
  async function internal(req: http.IncomingMessage, key: string, op: string | undefined): Promise<Reply> {
    const { replica, log } = await ready;
    let answer: PrepareAnswer | AcceptAnswer | undefined;
    if (req.method === 'GET' && !op) answer = queryAnswer(replica, key);
    if (req.method === 'PUT' && !op) answer = replica.accept(key, (await body(req)).entry as Versioned);
    if (req.method === 'POST' && op === 'prepare') {
      answer = replica.prepare(key, (await body(req)).ballot as Version);
    }
    if (!answer) return { status: 404, body: { error: 'no-such-route' } };
    await log?.synced(); // never reveal or acknowledge a state that a crash could still undo
    return { status: 200, body: answer };
  }

  /** The client-facing contract. */
  async function contract(req: http.IncomingMessage, key: string, op: string | undefined): Promise<Reply> {
    const { kv } = await ready;
    if (req.method === 'GET' && !op) return kv.read(key);
    if (req.method === 'PUT' && !op) {
      const b = await body(req);
      return 'value' in b ? kv.write(key, b.value) : bad('missing-value');
    }
    if (req.method !== 'POST') return { status: 404, body: { error: 'no-such-route' } };
    const b = await body(req);
    if (op === 'cas')
      return 'from' in b && 'to' in b ? kv.modify(key, casChange(b.from, b.to)) : bad('missing-from-to');
    if (op === 'add') return 'element' in b ? kv.modify(key, addChange(b.element)) : bad('missing-element');
    if (op === 'incr') {
      return Number.isFinite(b.delta)
        ? kv.modify(key, incrChange(b.delta as number))
        : bad('delta-not-a-number');
    }
    return { status: 404, body: { error: 'no-such-route' } };
  }

  async function route(req: http.IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://x');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (req.method === 'GET' && url.pathname === '/health') {
      const { replica } = await ready;
      return { status: 200, body: { node: config.node, keys: replica.size, time: Date.now(), modes } };
    }
    if (parts[0] === 'internal' && parts[1] === 'kv' && parts.length >= 3 && parts.length <= 4)
      return internal(req, parts[2]!, parts[3]);
    if (parts[0] === 'kv' && parts.length >= 2 && parts.length <= 3)
      return contract(req, parts[1]!, parts[2]);
    return { status: 404, body: { error: 'no-such-route' } };
  }

  const server = http.createServer((req, res) => {
    const send = ({ status, body }: Reply) => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
    };
    route(req).then(send, (e: Error) =>
      send(e instanceof SyntaxError ? bad('malformed-json') : { status: 503, body: { error: e.message } }),
    );
  });
  server.keepAliveTimeout = 30_000;
  server.on('close', () => {
    agent.destroy();
    void ready.then((n) => n.log?.close()).catch(() => {});
  });
  return server;
}

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
    modes: modesFromEnv(env),
    dataDir: env.KV_DATA_DIR || undefined,
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

/** KV_MODE's preset, then each switch that is set (see the header). */
export function modesFromEnv(env: NodeJS.ProcessEnv): Modes {
  const choice = <T extends string>(name: string, allowed: readonly T[]): T | undefined => {
    const v = env[name];
    if (v === undefined || v === '') return undefined;
    if (!(allowed as readonly string[]).includes(v))
      throw new Error(`${name} must be ${allowed.join(' or ')} (got "${v}")`);
    return v as T;
  };
  const flag = (name: string) => {
    const v = choice(name, ['0', '1', 'true', 'false']);
    return v === undefined ? undefined : v === '1' || v === 'true';
  };
  const modes = { ...(choice('KV_MODE', ['legacy', 'correct']) === 'correct' ? CORRECT : LEGACY) };
  modes.clock = choice('KV_CLOCK', ['wall', 'logical']) ?? modes.clock;
  modes.writeBack = flag('KV_WRITE_BACK') ?? modes.writeBack;
  modes.readOne = flag('KV_READ_ONE') ?? modes.readOne;
  modes.cas = choice('KV_CAS', ['atomic', 'racy']) ?? modes.cas;
  return modes;
}
