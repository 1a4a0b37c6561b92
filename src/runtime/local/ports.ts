/** Loopback addresses and ports for a local run's nodes. */
import net from 'node:net';

/**
 * Each node's loopback address: its own 127.0.0.x on Linux (the whole 127/8 is local there), so
 * addresses name nodes as on a network (Sentinel's answers, logs); 127.0.0.1 elsewhere.
 */
export const nodeHost = (i: number): string =>
  process.platform === 'linux' && i < 240 ? `127.0.0.${11 + i}` : '127.0.0.1';

/** Loopback ports outside the usual ephemeral range, free now (held until all are picked). */
export async function pickPorts(count: number, host: string): Promise<number[]> {
  const held: net.Server[] = [];
  const ports: number[] = [];
  try {
    for (let tries = 0; ports.length < count; tries++) {
      if (tries > count * 50) throw new Error('no free loopback ports found in 20000-32767');
      const port = 20000 + Math.floor(Math.random() * 12768);
      if (ports.includes(port)) continue;
      const server = net.createServer();
      const ok = await new Promise<boolean>((resolve) => {
        server.once('error', () => resolve(false));
        server.listen({ host, port, exclusive: true }, () => resolve(true));
      });
      if (!ok) continue;
      held.push(server);
      ports.push(port);
    }
  } finally {
    await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
  }
  return ports;
}
