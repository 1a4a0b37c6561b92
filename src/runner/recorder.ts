/**
 * The recorder: the one place events get their `index` (dense, in recording order) and
 * `time` (monotonic nanoseconds since the run started, process.hrtime.bigint), and go
 * straight to the history file. Also counts outcomes for the progress line.
 */
import type { Op, Value } from '../history/op.js';

export interface OpSink {
  write(op: Op): void;
}

export interface Counts {
  invoked: number;
  ok: number;
  fail: number;
  info: number;
}

export class Recorder {
  private index = 0;
  private readonly start: bigint;
  readonly counts: Counts = { invoked: 0, ok: 0, fail: 0, info: 0 };
  /** Every event recorded, when kept in memory (tests); the file is the source of truth. */
  readonly kept: Op[] | undefined;

  constructor(
    private readonly sink: OpSink,
    options: { start?: bigint; keep?: boolean } = {},
  ) {
    this.start = options.start ?? process.hrtime.bigint();
    this.kept = options.keep ? [] : undefined;
  }

  /** Nanoseconds since the run started. */
  now(): number {
    return Number(process.hrtime.bigint() - this.start);
  }

  /** An event as the caller knows it; the recorder gives it its index and time. */
  record(event: Omit<Op, 'index' | 'time'>): Op {
    const op: Op = {
      index: this.index++,
      time: this.now(),
      process: event.process,
      type: event.type,
      f: event.f,
      value: event.value,
    };
    if (event.key !== undefined) op.key = event.key;
    if (event.error !== undefined) op.error = event.error;
    if (event.node) op.node = event.node;
    if (op.process !== 'nemesis') {
      if (op.type === 'invoke') this.counts.invoked++;
      else this.counts[op.type]++;
    }
    this.sink.write(op);
    this.kept?.push(op);
    return op;
  }

  /** A nemesis action: always `info`, process "nemesis". */
  nemesis(f: string, value: Value, error?: string): Op {
    return this.record({ process: 'nemesis', type: 'info', f, value, ...(error ? { error } : {}) });
  }

  get events(): number {
    return this.index;
  }
}
