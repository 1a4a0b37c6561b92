/** A worker reading the later part of a JSONL file's calls (see calls-part.ts). */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { CallColumns, encodedBuffers } from './calls.js';
import { readLaterPart } from './calls-part.js';

const { file, start, maxBytes } = workerData as { file: string; start: number; maxBytes: number };
const fd = openSync(file, 'r');
try {
  let position = start;
  const part = readLaterPart(
    (into, offset, length) => {
      const n = readSync(fd, into, offset, length, position);
      position += n;
      return n;
    },
    new CallColumns(),
    maxBytes,
  );
  parentPort!.postMessage(part ?? null, part ? encodedBuffers(part.calls) : []);
} finally {
  closeSync(fd);
}
