/**
 * Commands run inside a container (`docker exec`), for faults and checks. Every step (create,
 * start, output, exit code) counts against one time limit.
 */
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { bounded, CALL_TIMEOUT_MS } from './engine.js';

/** Runs a command in a container; resolves with its exit code and output within `timeoutMs`. */
export async function execIn(
  container: Docker.Container,
  cmd: string[],
  timeoutMs = CALL_TIMEOUT_MS,
): Promise<{ code: number; output: string }> {
  const what = `exec ${cmd.join(' ').slice(0, 80)} in ${container.id.slice(0, 12)}`;
  const deadline = Date.now() + timeoutMs;
  const left = () => Math.max(1, deadline - Date.now());
  const ex = await bounded(
    what,
    (abortSignal) => container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, abortSignal }),
    left(),
  );
  const stream = (await bounded(
    what,
    (abortSignal) => ex.start({ hijack: true, stdin: false, abortSignal }),
    left(),
  )) as NodeJS.ReadWriteStream & { destroy(): void };
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (c: Buffer) => chunks.push(c));
  container.modem.demuxStream(stream, sink, sink);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`${what} timed out after ${timeoutMs} ms`));
    }, left());
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  const info = await bounded(what, (abortSignal) => ex.inspect({ abortSignal }), left());
  return { code: info.ExitCode ?? -1, output: Buffer.concat(chunks).toString('utf8') };
}

/** A shell command line as an exec command. */
export const sh = (script: string) => ['/bin/sh', '-c', script];
