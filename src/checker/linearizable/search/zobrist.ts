/** Zobrist keys: one random word per operation, XORed into a configuration's hash. */

/** A fixed-seed xorshift, so runs are reproducible. */
export function zobrist(n: number, seed: number): Uint32Array {
  const z = new Uint32Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    z[i] = x >>> 0;
  }
  return z;
}
