/**
 * Random causally consistent histories with free choice among concurrent writes: each session
 * is its own replica receiving others' writes in causal order, and a read returns any write of
 * its key that no other visible write of that key depends on. Always CC; CCv and CM vary (it
 * reaches CCv-but-not-CM and CM-but-not-CCv), which is what the oracle comparison needs.
 */
import type { SOp } from './helpers.js';

interface W {
  key: string;
  value: number;
  origin: number;
  seq: number;
  deps: number[];
}

export function causalViews(
  rand: () => number,
  sessions: number,
  keys: number,
  operations: number,
  deliverChance = 0.5,
): SOp[][] {
  const out: SOp[][] = Array.from({ length: sessions }, () => []);
  const byOrigin: W[][] = Array.from({ length: sessions }, () => []);
  const seen = Array.from({ length: sessions }, () => new Array<number>(sessions).fill(0));
  let value = 1;
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
  for (let n = 0; n < operations; n++) {
    const i = Math.floor(rand() * sessions);
    while (rand() < deliverChance) {
      const j = Math.floor(rand() * sessions);
      const w = byOrigin[j]![seen[i]![j]!];
      if (j === i || !w || w.deps.some((d, k) => k !== j && seen[i]![k]! < d)) break;
      seen[i]![j]!++;
    }
    const key = `k${Math.floor(rand() * keys)}`;
    if (rand() < 0.45) {
      const w: W = { key, value: value++, origin: i, seq: seen[i]![i]!, deps: [...seen[i]!] };
      byOrigin[i]!.push(w);
      seen[i]![i]!++;
      out[i]!.push(['w', key, w.value]);
    } else {
      const visible = byOrigin.flatMap((ws, j) => ws.slice(0, seen[i]![j]!)).filter((w) => w.key === key);
      const maximal = visible.filter((a) => !visible.some((b) => b !== a && b.deps[a.origin]! > a.seq));
      out[i]!.push(['r', key, maximal.length === 0 ? null : pick(maximal).value]);
    }
  }
  return out;
}
