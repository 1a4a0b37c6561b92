/** Helpers of the local runtime's tests: HTTP calls with a deadline, and leftover checks. */
import { readdirSync, readlinkSync } from 'node:fs';
import net from 'node:net';

export interface Call {
  status: number | 'error' | 'timeout';
  ms: number;
  body?: string;
}

/** One HTTP call on a fresh connection (no pooling: each call sees the faults as they are). */
export async function call(url: string, method = 'GET', body?: unknown, timeoutMs = 1000): Promise<Call> {
  const t0 = performance.now();
  try {
    const r = await fetch(url, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: { 'content-type': 'application/json', connection: 'close' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: r.status, body: await r.text(), ms: performance.now() - t0 };
  } catch (e) {
    const timeout = (e as Error).name === 'TimeoutError' || (e as Error).name === 'AbortError';
    return { status: timeout ? 'timeout' : 'error', ms: performance.now() - t0 };
  }
}

/** Pids of processes whose working directory is under `dir` (local nodes run in their data dir). */
export function processesUnder(dir: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd === dir || cwd.startsWith(`${dir}/`)) out.push(Number(entry));
    } catch {
      // Gone, or not ours.
    }
  }
  return out;
}

/** Whether something accepts connections on host:port. */
export function listening({ host, port }: Endpoint): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export interface Endpoint {
  host: string;
  port: number;
}

/** Every address a local cluster's info names (every proxy route, and the nodes' own ports). */
export function portsOf(info: Record<string, unknown>): Endpoint[] {
  const nodes = (info.nodes ?? []) as {
    host: string;
    ports: Record<string, number>;
    listens: Record<string, number>;
  }[];
  const routes = ((info.proxy as { routes?: { address: string }[] } | undefined)?.routes ?? []).map((r) => {
    const at = r.address.lastIndexOf(':');
    return { host: r.address.slice(0, at), port: Number(r.address.slice(at + 1)) };
  });
  return [
    ...nodes.flatMap((n) =>
      [...Object.values(n.ports), ...Object.values(n.listens ?? {})].map((port) => ({ host: n.host, port })),
    ),
    ...routes,
  ];
}

export async function expectNothingLeft(dir: string, ports: Endpoint[]): Promise<string[]> {
  const problems: string[] = [];
  // The kernel takes a moment to reap a killed group.
  for (let i = 0; i < 50 && processesUnder(dir).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  const procs = processesUnder(dir);
  if (procs.length > 0) problems.push(`processes still running under ${dir}: ${procs.join(' ')}`);
  for (const p of ports)
    if (await listening(p)) problems.push(`${p.host}:${p.port} still accepts connections`);
  return problems;
}
