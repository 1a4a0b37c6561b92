/**
 * Seeded randomness for generators and schedules: the same seed gives the same sequence.
 * sfc32 seeded through splitmix32, so nearby seeds give unrelated streams.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  /** Index chosen with probability proportional to its weight. */
  weighted(weights: readonly number[]): number;
  /** An independent stream derived from this one (for a sub-generator). */
  fork(): Rng;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export function createRng(seed: number): Rng {
  const init = splitmix32(seed);
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  const u32 = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) u32();
  const rng: Rng = {
    next: () => u32() / 2 ** 32,
    int: (n) => Math.floor(rng.next() * n),
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[rng.int(items.length)]!;
    },
    weighted: (weights) => {
      const total = weights.reduce((s, w) => s + w, 0);
      let x = rng.next() * total;
      for (let i = 0; i < weights.length; i++) {
        x -= weights[i]!;
        if (x < 0) return i;
      }
      return weights.length - 1;
    },
    fork: () => createRng(u32()),
  };
  return rng;
}

/** A fresh seed for runs that do not name one (printed, so the run can be repeated). */
export const randomSeed = () => Math.floor(Math.random() * 2 ** 31);
