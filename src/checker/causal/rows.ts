/**
 * Vector-clock rows kept for writes: one row of k entries per "epoch" of a session (writes with
 * no clock-changing read between them share a row; a row's own-session entry is not used).
 * Rows live in fixed-size typed-array chunks, 16-bit when every session is shorter than 65535
 * operations, so that 10^6 operations over 500 sessions fit in memory.
 */
export type RowArray = Int32Array | Uint16Array;

/** The clock rows would outgrow their memory budget (many sessions that write). */
export class OverBudget extends Error {
  constructor(readonly bytes: number) {
    super(`vector clocks need more than ${Math.round(bytes / 2 ** 20)} MB`);
  }
}

export class RowStore {
  readonly chunks: RowArray[] = [];
  readonly shift: number;
  readonly mask: number;
  count = 0;
  readonly wide: boolean;

  /**
   * `maxRows` bounds the rows that will be pushed (the number of writes): chunks are as large as
   * that needs, up to 2^27 entries, so a big history allocates few of them (each allocation of
   * external memory can cost a full garbage collection) and a small one allocates little.
   * Untouched pages of a large chunk are never resident.
   */
  constructor(
    readonly k: number,
    maxValue: number,
    maxRows: number,
    readonly budget = Number.POSITIVE_INFINITY,
  ) {
    this.wide = maxValue >= 0xffff;
    let shift = 0;
    while (1 << shift < maxRows && (1 << (shift + 1)) * Math.max(1, k) <= 1 << 27) shift++;
    this.shift = shift;
    this.mask = (1 << shift) - 1;
  }

  /** Appends a copy of `src[from .. from+k)` and returns its row number. */
  push(src: Int32Array, from: number): number {
    const row = this.count++;
    const c = row >>> this.shift;
    if (c === this.chunks.length) {
      const size = (1 << this.shift) * this.k;
      if (this.bytes() + size * (this.wide ? 4 : 2) > this.budget) throw new OverBudget(this.bytes());
      this.chunks.push(this.wide ? new Int32Array(size) : new Uint16Array(size));
    }
    const chunk = this.chunks[c]!;
    const base = (row & this.mask) * this.k;
    const k = this.k;
    for (let t = 0; t < k; t++) chunk[base + t] = src[from + t]!;
    return row;
  }

  get(row: number, t: number): number {
    return this.chunks[row >>> this.shift]![(row & this.mask) * this.k + t]!;
  }

  bytes(): number {
    let b = 0;
    for (const c of this.chunks) b += c.byteLength;
    return b;
  }
}
