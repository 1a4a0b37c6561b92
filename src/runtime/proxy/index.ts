/**
 * faultline's TCP fault proxy (the Toxiproxy idea, in-process, node:net only): a listener per
 * route, each route forwarding to one node's port. A route knows who connects through it
 * (`from`: a node name, or `client` for the harness) and whom it reaches (`to`), so faults act
 * per direction and per pair:
 *
 *   partition   data from A to B is dropped while B has a grudge against A. `hold` (default):
 *               the direction stops forwarding and new connections are accepted but not
 *               connected onward, as with dropped packets (TCP delivers late after the heal,
 *               unless an endpoint gave up first); `refuse`: connections are reset, new ones
 *               refused (reset right after accept).
 *   toxics      on the data a node sends (its egress, as netem on its interface): latency with
 *               jitter, a bandwidth limit, loss-like stalls (a chunk held back for a TCP
 *               retransmission timeout, with the given probability).
 *   reset       every open connection to or from a node is reset.
 *
 * A route may serve every node at once (a port all peers dial at the one address it advertises,
 * as etcd's peer port): its `identify` hook, supplied by the target, names each connection's
 * sender from the bytes it sends. Until it does, the connection's sender is UNKNOWN, which no
 * grudge names, so it is never cut; from then on it is cut per pair like any other. One
 * connection has one sender (its dialer), so a name, once given, holds for the connection.
 *
 * Order is kept per direction (a chunk is never released before the one in front of it), so
 * jitter widens gaps but never reorders bytes, as on a TCP stream.
 */
import net from 'node:net';

/** The endpoint name of the harness's own clients. */
export const CLIENT = 'client';
/** The sender of a connection to a shared route until its route's `identify` names it. */
export const UNKNOWN = '?';

/**
 * Names the node that opened a connection from data it sent: the proxy calls it with each
 * chunk from the dialer (prefixed by the last bytes before it, so a marker split across chunks
 * is seen) until it returns a node name; undefined means "not yet".
 */
export type Identify = (data: Buffer) => string | undefined;

export type BlackholeMode = 'hold' | 'refuse';

/** Faults on the data one node sends. */
export interface Toxics {
  delayMs?: number;
  /** Uniform in ±jitterMs around delayMs (never below 0). */
  jitterMs?: number;
  /** Bytes per second; 0 or absent: unlimited. */
  bandwidthBytesPerS?: number;
  /** Probability (0..100) that a chunk is held back for stallMs (a lost segment's retransmission). */
  stallPercent?: number;
  /** How long a stalled chunk waits (default 200 ms, Linux's minimum retransmission timeout). */
  stallMs?: number;
}

export interface RouteSpec {
  /** Who connects through this route: a node name, CLIENT, or UNKNOWN (with `identify`). */
  from: string;
  /** For a route every peer dials: names each connection's sender (see Identify). */
  identify?: Identify;
  /** The node it reaches. */
  to: string;
  /** Where the node listens. */
  targetHost: string;
  targetPort: number;
  /** Where the route listens (default 127.0.0.1); port 0 (default) picks a free one. */
  host?: string;
  port?: number;
}

export interface Route {
  readonly from: string;
  readonly to: string;
  readonly host: string;
  readonly port: number;
  readonly address: string;
}

export interface ProxyStats {
  connections: number;
  open: number;
  bytes: number;
  resets: number;
  /** Connections to shared routes whose sender `identify` named. */
  identified: number;
}

/** How many bytes of a chunk's predecessor `identify` sees in front of it. */
const CARRY = 256;

const HIGH_WATER = 1 << 20;

interface Queued {
  chunk: Buffer;
  at: number;
}

/** One direction of one connection: src → dst, data sent by `srcNode` to `dstNode`. */
class Pipe {
  private queue: Queued[] = [];
  private queued = 0;
  private lastAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private ended = false;
  private waitingDrain = false;

  constructor(
    private readonly proxy: FaultProxy,
    private readonly conn: Connection,
    private readonly src: net.Socket,
    private readonly dst: net.Socket,
    /** Dialer to listener (the connection's `from` sends) or back. */
    private readonly forward: boolean,
  ) {
    src.on('data', (chunk: Buffer) => {
      // The sender is named before its data is judged, so a cut applies from its first byte.
      if (this.forward && this.conn.from === UNKNOWN && !this.conn.observe(chunk)) return;
      this.push(chunk);
    });
    src.on('end', () => {
      this.ended = true;
      this.flush();
    });
  }

  get srcNode(): string {
    return this.forward ? this.conn.from : this.conn.to;
  }
  get dstNode(): string {
    return this.forward ? this.conn.to : this.conn.from;
  }

  /** Queues a chunk from the source (or one read before the pipe existed). */
  push(chunk: Buffer): void {
    this.proxy.stats.bytes += chunk.length;
    const t = this.proxy.toxicsOf(this.srcNode);
    if (!t && this.queue.length === 0 && !this.proxy.blocked(this.srcNode, this.dstNode)) {
      this.write(chunk);
      return;
    }
    const now = Date.now();
    let at = now;
    if (t) {
      const jitter = t.jitterMs ? (Math.random() * 2 - 1) * t.jitterMs : 0;
      at = now + Math.max(0, (t.delayMs ?? 0) + jitter);
      // The chunk leaves once the ones before it have, plus its own transmission time.
      if (t.bandwidthBytesPerS && t.bandwidthBytesPerS > 0)
        at = Math.max(at, this.lastAt) + (chunk.length * 1000) / t.bandwidthBytesPerS;
      if (t.stallPercent && Math.random() * 100 < t.stallPercent) at += t.stallMs ?? 200;
    }
    at = Math.max(at, this.lastAt);
    this.lastAt = at;
    this.queue.push({ chunk, at });
    this.queued += chunk.length;
    if (this.queued > HIGH_WATER) this.src.pause();
    this.flush();
  }

  private write(chunk: Buffer): void {
    if (this.dst.destroyed) return;
    if (!this.dst.write(chunk) && !this.waitingDrain) {
      this.waitingDrain = true;
      this.src.pause();
      this.dst.once('drain', () => {
        this.waitingDrain = false;
        if (!this.proxy.blocked(this.srcNode, this.dstNode) && this.queued <= HIGH_WATER) this.src.resume();
      });
    }
  }

  /** Releases what is due; holds everything while the direction is cut. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.proxy.blocked(this.srcNode, this.dstNode)) {
      this.src.pause();
      return;
    }
    const now = Date.now();
    while (this.queue.length > 0 && this.queue[0]!.at <= now) {
      const q = this.queue.shift()!;
      this.queued -= q.chunk.length;
      this.write(q.chunk);
    }
    if (this.queue.length > 0) {
      this.timer = setTimeout(() => this.flush(), Math.max(1, this.queue[0]!.at - now));
      return;
    }
    if (this.ended) {
      if (!this.dst.destroyed) this.dst.end();
      return;
    }
    if (!this.waitingDrain && this.src.isPaused()) this.src.resume();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.queue = [];
  }
}

class Connection {
  readonly pipes: Pipe[] = [];
  private upstream: net.Socket | undefined;
  private closed = false;
  /** Who sends from the dialing side: the route's, or what `identify` says (shared routes). */
  from: string;
  /** The tail of what the dialer sent, while its sender is unknown. */
  private carry: Buffer | undefined;

  constructor(
    private readonly proxy: FaultProxy,
    private readonly route: RouteImpl,
    private readonly downstream: net.Socket,
  ) {
    this.from = route.from;
    downstream.setNoDelay(true);
    downstream.on('error', () => this.close());
    downstream.on('close', () => this.close());
    // Until connected onward, nothing is read from the connecting side.
    downstream.pause();
    this.tryConnect();
  }

  get to() {
    return this.route.to;
  }

  /** Connects onward unless the pair is cut (a held connection waits for the heal). */
  tryConnect(): void {
    if (this.upstream || this.closed) return;
    if (this.proxy.blocked(this.from, this.to) || this.proxy.blocked(this.to, this.from)) return;
    const up = net.connect({ host: this.route.targetHost, port: this.route.targetPort, allowHalfOpen: true });
    this.upstream = up;
    up.setNoDelay(true);
    up.on('error', () => this.close(true));
    up.on('close', () => this.close());
    up.on('connect', () => {
      if (this.closed) return;
      this.pipes.push(new Pipe(this.proxy, this, this.downstream, up, true));
      this.pipes.push(new Pipe(this.proxy, this, up, this.downstream, false));
      this.downstream.resume();
    });
  }

  /**
   * Shows a chunk from the dialer to the route's `identify` while the sender is unknown;
   * false when the connection was reset because the sender it named is cut off (refuse mode).
   */
  observe(chunk: Buffer): boolean {
    const identify = this.route.identify;
    if (!identify) return true;
    const seen = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    const name = identify(seen);
    if (name === undefined) {
      this.carry = Buffer.from(seen.subarray(Math.max(0, seen.length - CARRY)));
      return true;
    }
    this.carry = undefined;
    this.from = name;
    this.proxy.stats.identified++;
    const cut = this.proxy.blocked(this.from, this.to) || this.proxy.blocked(this.to, this.from);
    if (cut && this.proxy.mode === 'refuse') {
      this.reset();
      return false;
    }
    return true;
  }

  /** Called when faults change. */
  kick(): void {
    if (!this.upstream) this.tryConnect();
    for (const p of this.pipes) p.flush();
  }

  reset(): void {
    this.proxy.stats.resets++;
    this.close(true);
  }

  close(reset = false): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pipes) p.dispose();
    for (const s of [this.downstream, this.upstream]) {
      if (!s || s.destroyed) continue;
      if (reset) s.resetAndDestroy();
      else s.destroy();
    }
    this.route.connections.delete(this);
    this.proxy.stats.open--;
  }
}

class RouteImpl implements Route {
  readonly connections = new Set<Connection>();
  host = '';
  port = 0;
  readonly server: net.Server;
  readonly from: string;
  readonly to: string;
  readonly targetHost: string;
  readonly targetPort: number;
  identify: Identify | undefined;

  constructor(
    private readonly proxy: FaultProxy,
    spec: RouteSpec,
  ) {
    this.from = spec.from;
    this.identify = spec.identify;
    this.to = spec.to;
    this.targetHost = spec.targetHost;
    this.targetPort = spec.targetPort;
    this.server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => {
      const p = this.proxy;
      if (p.mode === 'refuse' && (p.blocked(this.from, this.to) || p.blocked(this.to, this.from))) {
        p.stats.resets++;
        socket.on('error', () => {});
        socket.resetAndDestroy();
        return;
      }
      p.stats.connections++;
      p.stats.open++;
      this.connections.add(new Connection(p, this, socket));
    });
  }

  get address() {
    return `${this.host}:${this.port}`;
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port, exclusive: true }, () => {
        this.server.off('error', reject);
        const a = this.server.address() as net.AddressInfo;
        this.host = host;
        this.port = a.port;
        resolve();
      });
    });
  }
}

export interface FaultProxyOptions {
  /** How a partition treats connections (default hold). */
  blackhole?: BlackholeMode;
}

export class FaultProxy {
  readonly mode: BlackholeMode;
  readonly stats: ProxyStats = { connections: 0, open: 0, bytes: 0, resets: 0, identified: 0 };
  private readonly routes: RouteImpl[] = [];
  /** "dst<src": dst drops what src sends. */
  private cuts = new Set<string>();
  private toxics = new Map<string, Toxics>();
  private closed = false;

  constructor(options: FaultProxyOptions = {}) {
    this.mode = options.blackhole ?? 'hold';
  }

  async addRoute(spec: RouteSpec): Promise<Route> {
    if (this.closed) throw new Error('proxy closed');
    const route = new RouteImpl(this, spec);
    await route.listen(spec.host ?? '127.0.0.1', spec.port ?? 0);
    this.routes.push(route);
    return route;
  }

  /** Stops a route's listener and its connections (a route no target asked for). */
  async removeRoute(route: Route): Promise<void> {
    const r = route as RouteImpl;
    const i = this.routes.indexOf(r);
    if (i >= 0) this.routes.splice(i, 1);
    for (const c of [...r.connections]) c.close();
    await new Promise<void>((resolve) => r.server.close(() => resolve()));
  }

  /** Sets a shared route's sender hook (known only once the target has planned its nodes). */
  identifyOn(route: Route, identify: Identify | undefined): void {
    (route as RouteImpl).identify = identify;
  }

  list(): readonly Route[] {
    return this.routes;
  }

  /** Whether data sent by `src` to `dst` is dropped now. */
  blocked(src: string, dst: string): boolean {
    return this.cuts.size > 0 && this.cuts.has(`${dst}<${src}`);
  }

  toxicsOf(node: string): Toxics | undefined {
    return this.toxics.size > 0 ? this.toxics.get(node) : undefined;
  }

  /**
   * Replaces the partition: `grudge[b]` lists the nodes whose data b drops. In refuse mode,
   * connections between a cut pair are reset.
   */
  partition(grudge: Record<string, readonly string[]>): void {
    this.cuts = new Set(Object.entries(grudge).flatMap(([dst, srcs]) => srcs.map((src) => `${dst}<${src}`)));
    if (this.mode === 'refuse') {
      for (const c of this.connections())
        if (this.blocked(c.from, c.to) || this.blocked(c.to, c.from)) c.reset();
    }
    this.kick();
  }

  /** Sets (replaces) the toxics on the data `node` sends; undefined removes them. */
  setToxics(node: string, toxics: Toxics | undefined): void {
    const active =
      toxics &&
      ((toxics.delayMs ?? 0) > 0 ||
        (toxics.jitterMs ?? 0) > 0 ||
        (toxics.bandwidthBytesPerS ?? 0) > 0 ||
        (toxics.stallPercent ?? 0) > 0);
    if (active) this.toxics.set(node, { ...toxics });
    else this.toxics.delete(node);
    this.kick();
  }

  /** Resets every open connection to or from `node` (every connection when absent). */
  reset(node?: string): number {
    let n = 0;
    for (const c of this.connections()) {
      if (node === undefined || c.from === node || c.to === node) {
        c.reset();
        n++;
      }
    }
    return n;
  }

  /** No partition, no toxics. */
  heal(): void {
    this.cuts = new Set();
    this.toxics.clear();
    this.kick();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.routes].map((r) => this.removeRoute(r)));
  }

  private *connections(): Generator<Connection> {
    for (const r of this.routes) yield* [...r.connections];
  }

  private kick(): void {
    for (const c of this.connections()) c.kick();
  }
}
