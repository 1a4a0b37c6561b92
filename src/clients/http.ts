/**
 * A small JSON-over-HTTP helper on node:http with keep-alive, that tells apart the failures
 * that matter for classifying outcomes: was the request possibly sent (info) or certainly not
 * (fail)?
 */
import http from 'node:http';
import { type Client, type Completion, errorCompletion, type OperationBase } from './types.js';

export interface HttpResponse {
  status: number;
  body: string;
}

/** Why an HTTP call produced no response. `sent` is false only when the request certainly never left. */
export class HttpCallError extends Error {
  constructor(
    message: string,
    readonly code: 'timeout' | 'refused' | 'reset' | 'error',
    readonly sent: boolean,
  ) {
    super(message);
    this.name = 'HttpCallError';
  }
}

export function createAgent(maxSockets = 16): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets, keepAliveMsecs: 1000 });
}

export function httpCall(
  agent: http.Agent | undefined,
  method: string,
  url: string,
  body: unknown,
  timeoutMs: number,
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    let sent = false;
    let done = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      fn();
    };
    const req = http.request(url, {
      method,
      agent: agent ?? false,
      headers: payload
        ? { 'content-type': 'application/json', 'content-length': String(payload.length) }
        : undefined,
    });
    const timer = setTimeout(() => {
      finish(() => reject(new HttpCallError(`timeout after ${timeoutMs} ms`, 'timeout', true)));
      req.destroy();
    }, timeoutMs);
    req.on('socket', (socket) => {
      // A reused keep-alive socket is connected already: the request may be on the wire.
      if (!socket.connecting) sent = true;
      else socket.once('connect', () => (sent = true));
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      finish(() => {
        if (e.code === 'ECONNREFUSED' || e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH') {
          reject(new HttpCallError(e.message, 'refused', false));
        } else if (e.code === 'ECONNRESET' || e.code === 'EPIPE') {
          reject(new HttpCallError(e.message, 'reset', sent));
        } else reject(new HttpCallError(e.message, 'error', sent));
      });
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        finish(() => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') })),
      );
      res.on('error', (e) => finish(() => reject(new HttpCallError(e.message, 'reset', true))));
    });
    req.end(payload);
  });
}

/** GET that answers true on a 2xx whose body passes `accept`, false on anything else. */
export async function probe(url: string, timeoutMs = 1000, accept: (body: string) => boolean = () => true) {
  try {
    const r = await httpCall(undefined, 'GET', url, undefined, timeoutMs);
    return r.status >= 200 && r.status < 300 && accept(r.body);
  } catch {
    return false;
  }
}

/**
 * A client over one keep-alive agent: `run` does the protocol, and any error it throws becomes
 * a completion (fail when the request certainly never left, else info; reads always fail).
 */
export function httpClient<Op extends OperationBase>(
  node: string,
  agent: http.Agent,
  run: (op: Op) => Promise<Completion>,
  readOnly: (op: Op) => boolean = (op) => op.f === 'read',
): Client<Op> {
  return {
    node,
    boundedByTimeout: true,
    async invoke(op) {
      try {
        return await run(op);
      } catch (e) {
        if (e instanceof HttpCallError) return errorCompletion(readOnly(op), !e.sent, e.code);
        return errorCompletion(readOnly(op), false, `error:${(e as Error).message}`.slice(0, 60));
      }
    },
    async close() {
      agent.destroy();
    },
  };
}
