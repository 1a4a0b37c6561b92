/** A Docker node's output: followed into memory (the last MiB) and into `<logDir>/<node>.log`. */
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { bounded } from './engine.js';
import type { NodeState } from './run.js';

const MAX_LOG_MEMORY = 1 << 20;

export async function initPid(container: Docker.Container): Promise<number | undefined> {
  const info = await bounded('inspect', (abortSignal) => container.inspect({ abortSignal })).catch(
    () => undefined,
  );
  return info?.State.Pid || undefined;
}

export async function attachLogs(s: NodeState, logDir: string, since?: string): Promise<void> {
  s.logStream?.destroy?.();
  s.logFile ??= createWriteStream(join(logDir, `${s.node.name}.log`), { flags: 'a' });
  s.logFile.on('error', () => {});
  const stream = (await bounded(`logs of ${s.node.name}`, (abortSignal) =>
    s.container.logs({
      follow: true,
      stdout: true,
      stderr: true,
      abortSignal,
      ...(since ? { since } : {}),
    } as {
      follow: true;
    }),
  )) as NodeState['logStream'] & NodeJS.ReadableStream;
  s.logStream = stream;
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    s.log.push(text);
    s.logBytes += text.length;
    while (s.logBytes > MAX_LOG_MEMORY && s.log.length > 1) s.logBytes -= s.log.shift()!.length;
    s.logFile?.write(chunk);
  });
  s.container.modem.demuxStream(stream, sink, sink);
  stream.on('error', () => {});
}

/** The last lines of every node's output, for a start that failed. */
export function logTails(states: Iterable<NodeState>): string {
  return [...states]
    .map((s) => `--- ${s.node.name} ---\n${s.log.join('').split('\n').slice(-15).join('\n')}`)
    .join('\n');
}
