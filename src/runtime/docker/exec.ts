/** Commands run inside a node's container (`docker exec`), for faults and checks. */
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';

/** Runs a command in a container; resolves with its exit code and output. */
export async function execIn(
  container: Docker.Container,
  cmd: string[],
  timeoutMs = 10_000,
): Promise<{ code: number; output: string }> {
  const ex = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await ex.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (c: Buffer) => chunks.push(c));
  container.modem.demuxStream(stream, sink, sink);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`exec ${cmd.join(' ')} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    stream.on('end', () => {
      clearTimeout(timer);
      resolve();
    });
    stream.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    stream.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  const info = await ex.inspect();
  return { code: info.ExitCode ?? -1, output: Buffer.concat(chunks).toString('utf8') };
}

/** A shell command line as an exec command. */
export const sh = (script: string) => ['/bin/sh', '-c', script];
