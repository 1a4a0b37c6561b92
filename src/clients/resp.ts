/**
 * One Redis command over a fresh TCP connection, for readiness probes and diagnostics
 * (the workers use ioredis). Returns the raw RESP reply text.
 */
import net from 'node:net';

export function respCommand(host: string, port: number, args: string[], timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => {
      socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
    });
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8');
      if (complete(data)) {
        clearTimeout(timer);
        socket.end();
        resolve(data);
      }
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Whether a RESP reply is complete (enough for the simple replies probes get). */
function complete(reply: string): boolean {
  const end = reply.indexOf('\r\n');
  if (end < 0) return false;
  const kind = reply[0];
  if (kind === '+' || kind === '-' || kind === ':') return true;
  if (kind === '$') {
    const len = Number(reply.slice(1, end));
    return len < 0 || reply.length >= end + 2 + len + 2;
  }
  if (kind === '*') {
    const count = Number(reply.slice(1, end));
    if (count <= 0) return true;
    // Arrays of bulk strings: count the elements' terminators.
    let pos = end + 2;
    for (let i = 0; i < count; i++) {
      const e = reply.indexOf('\r\n', pos);
      if (e < 0) return false;
      if (reply[pos] === '$') {
        const len = Number(reply.slice(pos + 1, e));
        pos = len < 0 ? e + 2 : e + 2 + len + 2;
        if (reply.length < pos) return false;
      } else pos = e + 2;
    }
    return true;
  }
  return true;
}

export async function respProbe(
  host: string,
  port: number,
  args: string[],
  accept: (reply: string) => boolean,
): Promise<boolean> {
  try {
    return accept(await respCommand(host, port, args));
  } catch {
    return false;
  }
}
