/**
 * Lowe's memoization: the set of configurations (linearized-operation bitset, state id) already
 * reached. Open addressing over typed arrays; the bitsets live in one arena, so an entry costs
 * 4·(words + 3) bytes and no garbage. The caller keeps an incremental (Zobrist) hash of its
 * bitset, so neither hashing nor a miss touches the bitset words.
 */

/** Bytes of memoization memory, shared by every table alive at the same time. */
export interface MemoBudget {
  used: number;
  max: number;
}

export const memoBudget = (maxBytes: number): MemoBudget => ({ used: 0, max: maxBytes });

export class MemoFull extends Error {
  constructor(readonly bytes: number) {
    super(`memoization table reached its cap (${Math.round(bytes / 2 ** 20)} MiB)`);
  }
}

const EMPTY = 0;

export class Memo {
  private slots: Int32Array; // entry index + 1, or 0
  private mask: number;
  private hashes: Uint32Array;
  private hashes2: Uint32Array;
  private states: Int32Array;
  private arena: Uint32Array;
  private count = 0;
  private held = 0;

  private readonly words: number;

  /**
   * `exact` tables keep every bitset; the others keep only a 64-bit fingerprint of it (two
   * independent Zobrist hashes), 16 bytes an entry whatever the history's length. A fingerprint
   * collision can only make the search skip a configuration, so a linearization it finds is
   * still a proof; the caller re-checks a refutation with an exact table.
   */
  constructor(
    words: number,
    private readonly budget: MemoBudget,
    readonly exact = true,
  ) {
    this.words = exact ? Math.max(1, words) : 0;
    const cap = 64;
    this.slots = new Int32Array(cap * 2);
    this.mask = cap * 2 - 1;
    this.hashes = new Uint32Array(cap);
    this.hashes2 = new Uint32Array(exact ? 0 : cap);
    this.states = new Int32Array(cap);
    this.arena = new Uint32Array(cap * this.words);
    this.held = this.bytes;
    budget.used += this.held;
  }

  /** Gives the table's memory back to the budget; the table must not be used afterwards. */
  dispose() {
    this.budget.used -= this.held;
    this.held = 0;
    this.slots = new Int32Array(2);
    this.mask = 1;
    this.hashes = new Uint32Array(0);
    this.hashes2 = new Uint32Array(0);
    this.states = new Int32Array(0);
    this.arena = new Uint32Array(0);
    this.count = 0;
  }

  get size() {
    return this.count;
  }

  get bytes() {
    return (
      this.slots.byteLength +
      this.hashes.byteLength +
      this.hashes2.byteLength +
      this.states.byteLength +
      this.arena.byteLength
    );
  }

  /**
   * Adds (bits, state) unless present. `hash` must be a function of the bitset alone; the state
   * is mixed in here. Returns true when the configuration is new. Throws MemoFull at the cap.
   */
  add(bits: Uint32Array, state: number, hash: number, hash2: number): boolean {
    let h = (hash ^ Math.imul(state + 1, 0x9e3779b1)) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h = (h ^ (h >>> 16)) >>> 0;
    const words = this.words;
    const slots = this.slots;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const e = slots[i]!;
      if (e === EMPTY) break;
      const idx = e - 1;
      if (this.hashes[idx] === h && this.states[idx] === state) {
        if (words === 0) {
          if (this.hashes2[idx] === hash2) return false;
          i = (i + 1) & mask;
          continue;
        }
        const base = idx * words;
        const arena = this.arena;
        let same = true;
        for (let w = 0; w < words; w++) {
          if (arena[base + w] !== bits[w]) {
            same = false;
            break;
          }
        }
        if (same) return false;
      }
      i = (i + 1) & mask;
    }
    const idx = this.count;
    if (idx === this.hashes.length) {
      this.grow();
      return this.add(bits, state, hash, hash2);
    }
    this.count++;
    slots[i] = idx + 1;
    this.hashes[idx] = h;
    this.states[idx] = state;
    if (words === 0) this.hashes2[idx] = hash2;
    else this.arena.set(bits.subarray(0, words), idx * words);
    return true;
  }

  private grow() {
    const cap = this.hashes.length * 2;
    const bytes = cap * 2 * 4 + cap * 8 + cap * (this.exact ? this.words : 1) * 4;
    if (this.budget.used - this.held + bytes > this.budget.max) throw new MemoFull(this.budget.max);
    const hashes = new Uint32Array(cap);
    hashes.set(this.hashes);
    const states = new Int32Array(cap);
    states.set(this.states);
    const hashes2 = new Uint32Array(this.exact ? 0 : cap);
    hashes2.set(this.hashes2);
    const arena = new Uint32Array(cap * this.words);
    arena.set(this.arena);
    const slots = new Int32Array(cap * 2);
    const mask = cap * 2 - 1;
    for (let idx = 0; idx < this.count; idx++) {
      let i = hashes[idx]! & mask;
      while (slots[i] !== EMPTY) i = (i + 1) & mask;
      slots[i] = idx + 1;
    }
    this.hashes = hashes;
    this.hashes2 = hashes2;
    this.states = states;
    this.arena = arena;
    this.slots = slots;
    this.mask = mask;
    this.budget.used += bytes - this.held;
    this.held = bytes;
  }
}
