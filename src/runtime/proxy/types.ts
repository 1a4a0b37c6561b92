/** The fault proxy's vocabulary: endpoint names, routes, toxics, statistics. */
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

export interface FaultProxyOptions {
  /** How a partition treats connections (default hold). */
  blackhole?: BlackholeMode;
}
