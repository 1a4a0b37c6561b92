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
import { type Connection, RouteImpl } from './connection.js';
import type {
  BlackholeMode,
  FaultProxyOptions,
  Identify,
  ProxyStats,
  Route,
  RouteSpec,
  Toxics,
} from './types.js';

export {
  type BlackholeMode,
  CLIENT,
  type FaultProxyOptions,
  type Identify,
  type ProxyStats,
  type Route,
  type RouteSpec,
  type Toxics,
  UNKNOWN,
} from './types.js';

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
