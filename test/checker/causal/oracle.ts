/**
 * The naive oracle: POPL'17's bad patterns transcribed directly over explicitly computed
 * transitive closures (boolean matrices). Exponential in nothing, cubic in everything; for
 * histories of a few dozen operations. All operations are taken as `ok`.
 */
import type { Value } from '../../../src/history/op.js';
import type { SOp } from './helpers.js';

interface Node {
  s: number;
  p: number;
  w: boolean;
  key: string;
  value: Value;
  rf: number; // reads: writer, -1 initial, -2 thin air
}

type Matrix = boolean[][];

const closure = (m: Matrix): Matrix => {
  const n = m.length;
  const c = m.map((row) => [...row]);
  for (let k = 0; k < n; k++)
    for (let i = 0; i < n; i++) if (c[i]![k]) for (let j = 0; j < n; j++) if (c[k]![j]) c[i]![j] = true;
  return c;
};

const cyclic = (c: Matrix) => c.some((row, i) => row[i]);

export interface OracleVerdict {
  CC: boolean;
  CCv: boolean;
  CM: boolean;
}

export function oracle(sessions: SOp[][]): OracleVerdict {
  return analyse(sessions).verdict;
}

/** Verdicts, and the reads (as "session:position") that are WriteCORead / WriteCOInitRead. */
export function analyse(sessions: SOp[][]): {
  verdict: OracleVerdict;
  cyclicCO: boolean;
  writeCORead: Set<string>;
  writeCOInitRead: Set<string>;
} {
  const overwritten = new Set<string>();
  const initRead = new Set<string>();
  const nodes: Node[] = [];
  sessions.forEach((ops, s) => {
    ops.forEach(([f, key, value], p) => {
      nodes.push({ s, p, w: f === 'w', key, value, rf: -1 });
    });
  });
  const n = nodes.length;
  for (const r of nodes) {
    if (r.w || r.value === null) continue;
    r.rf = nodes.findIndex((w) => w.w && w.key === r.key && w.value === r.value);
    if (r.rf < 0) r.rf = -2;
  }
  const thinAir = nodes.some((r) => r.rf === -2);
  const base: Matrix = nodes.map(() => new Array(n).fill(false));
  nodes.forEach((a, i) => {
    nodes.forEach((b, j) => {
      if (a.s === b.s && a.p < b.p) base[i]![j] = true;
      if (b.rf === i) base[i]![j] = true;
    });
  });
  const co = closure(base);
  const writesOf = (key: string) =>
    nodes.map((w, i) => [w, i] as const).filter(([w]) => w.w && w.key === key);

  let writeCOInitRead = false;
  let writeCORead = false;
  nodes.forEach((r, ri) => {
    if (r.w || r.rf === -2) return;
    for (const [, wi] of writesOf(r.key)) {
      if (r.rf === -1 && co[wi]![ri]) {
        writeCOInitRead = true;
        initRead.add(`${r.s}:${r.p}`);
      }
      if (r.rf >= 0 && wi !== r.rf && co[r.rf]![wi] && co[wi]![ri]) {
        writeCORead = true;
        overwritten.add(`${r.s}:${r.p}`);
      }
    }
  });
  const CC = !thinAir && !cyclic(co) && !writeCOInitRead && !writeCORead;

  // CCv: CO ∪ CF acyclic, CF = (w1, w2) when some r reads w2 with w1 in its causal past.
  const cf = co.map((row) => [...row]);
  nodes.forEach((r, ri) => {
    if (r.w || r.rf < 0) return;
    for (const [, wi] of writesOf(r.key)) if (wi !== r.rf && co[wi]![ri]) cf[wi]![r.rf] = true;
  });
  const CCv = CC && !cyclic(closure(cf));

  // CM: HB_o for every o.
  let cmBad = false;
  for (let o = 0; o < n && !cmBad; o++) {
    const inPast = (a: number): boolean => a === o || co[a]![o] === true;
    let hb: Matrix = nodes.map((_, i) => nodes.map((__, j) => inPast(i) && inPast(j) && co[i]![j] === true));
    for (;;) {
      let changed = false;
      nodes.forEach((r2, ri) => {
        if (r2.w || r2.s !== nodes[o]!.s || r2.p > nodes[o]!.p || r2.rf < 0) return;
        for (const [, wi] of writesOf(r2.key))
          if (wi !== r2.rf && hb[wi]![ri] && !hb[wi]![r2.rf]) {
            hb[wi]![r2.rf] = true;
            changed = true;
          }
      });
      if (!changed) break;
      hb = closure(hb);
    }
    if (cyclic(hb)) cmBad = true;
    nodes.forEach((r2, ri) => {
      if (r2.w || r2.s !== nodes[o]!.s || r2.p > nodes[o]!.p || r2.rf !== -1) return;
      for (const [, wi] of writesOf(r2.key)) if (hb[wi]![ri]) cmBad = true;
    });
  }
  const CM = CC && !cmBad;
  return {
    verdict: { CC, CCv, CM },
    cyclicCO: cyclic(co),
    writeCORead: overwritten,
    writeCOInitRead: initRead,
  };
}
