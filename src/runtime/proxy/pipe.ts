/**
 * One direction of one proxied connection: its chunks forwarded at once when no fault acts on
 * them, or queued and released when due (delay, jitter, bandwidth, stalls), in order, and held
 * while the direction is cut.
 */
import type net from 'node:net';
import type { Connection } from './connection.js';
import type { FaultProxy } from './index.js';
import { UNKNOWN } from './types.js';

const HIGH_WATER = 1 << 20;

interface Queued {
  chunk: Buffer;
  at: number;
}

/** One direction of one connection: src → dst, data sent by `srcNode` to `dstNode`. */
export class Pipe {
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
