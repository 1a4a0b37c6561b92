/**
 * A proxied connection (its two pipes), and a route: a listener whose every accepted
 * connection is one. A connection is connected onward only while its pair is not cut (in hold
 * mode it waits for the heal); on a shared route, it learns its sender from `identify`.
 */
import net from 'node:net';
import type { FaultProxy } from './index.js';
import { Pipe } from './pipe.js';
import type { Identify, Route, RouteSpec } from './types.js';

/** How many bytes of a chunk's predecessor `identify` sees in front of it. */
const CARRY = 256;

export class Connection {
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

export class RouteImpl implements Route {
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
