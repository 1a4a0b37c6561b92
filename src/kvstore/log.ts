/**
 * Durable replica state for the kvstore (KV_DATA_DIR): an append-only log of slot changes,
 * one JSON line per change, fsynced in groups. A replica answers only after the state its
 * answer reveals is on disk (`synced`), because quorum intersection assumes a replica never
 * forgets what it acknowledged: a node killed and restarted with an empty memory would let a
 * read quorum miss an acknowledged write. At start-up the log is replayed (the last line per
 * key wins, since slots only move forward) and rewritten compacted.
 */
import { mkdirSync } from 'node:fs';
import { type FileHandle, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Slot, SlotSink } from './store.js';

export class SlotLog implements SlotSink {
  private pending: string[] = [];
  private flushing: Promise<void> | undefined;

  private constructor(private readonly file: FileHandle) {}

  /** Opens (or creates) the log in `dir`; returns it, the slots it held and a fresh incarnation. */
  static async open(dir: string): Promise<{ log: SlotLog; slots: Map<string, Slot>; incarnation: number }> {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'slots.jsonl');
    const slots = new Map<string, Slot>();
    const text = await readFile(path, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const [key, slot] = JSON.parse(line) as [string, Slot];
        slots.set(key, slot);
      } catch {
        break; // a torn last line from a crash mid-write: it was never acknowledged
      }
    }
    const incarnation = await nextIncarnation(dir);
    const compacted = [...slots].map((kv) => `${JSON.stringify(kv)}\n`).join('');
    await writeSynced(`${path}.tmp`, compacted);
    await rename(`${path}.tmp`, path);
    return { log: new SlotLog(await open(path, 'a')), slots, incarnation };
  }

  write(key: string, slot: Slot): void {
    this.pending.push(`${JSON.stringify([key, slot])}\n`);
  }

  /** Resolves once every change written so far is on disk (one fsync for all that queued). */
  async synced(): Promise<void> {
    while (this.pending.length > 0 || this.flushing) {
      if (this.flushing) {
        await this.flushing;
        continue;
      }
      const batch = this.pending.join('');
      this.pending = [];
      this.flushing = this.file
        .appendFile(batch)
        .then(() => this.file.datasync())
        .finally(() => (this.flushing = undefined));
      await this.flushing;
    }
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

async function writeSynced(path: string, text: string): Promise<void> {
  const f = await open(path, 'w');
  try {
    await f.writeFile(text);
    await f.datasync();
  } finally {
    await f.close();
  }
}

/** Counts boots in `dir`, so each process's ballots differ from every earlier one's. */
async function nextIncarnation(dir: string): Promise<number> {
  const path = join(dir, 'incarnation');
  const before = Number(await readFile(path, 'utf8').catch(() => '0')) || 0;
  await writeSynced(`${path}.tmp`, String(before + 1));
  await rename(`${path}.tmp`, path);
  return before + 1;
}
