/**
 * Witnesses: the operations of an anomaly, the edges between them with the reason each holds,
 * and a paragraph in plain words. Built only for the first few anomalies, so these helpers may
 * allocate and may take O(n) per witness.
 */
import { type CoResult, type IntList, vcAt } from './core.js';
import { type CausalGraph, type OpRecord, recordOf } from './extract.js';
import type { SessionGuarantee, WitnessEdge, WitnessOp } from './types.js';

export interface Step {
  from: number;
  to: number;
  kind: 'po' | 'rf' | 'cf' | 'hb';
  /** For cf/hb: the read that forces the edge. */
  by?: number;
}

/** Extra edges (cf or hb) as CSR both ways, with the read that forced each. */
export interface Extra {
  kind: 'cf' | 'hb';
  outStart: Int32Array;
  outTo: Int32Array;
  outBy: Int32Array;
  inStart: Int32Array;
  inFrom: Int32Array;
  inBy: Int32Array;
}

/** Builds an Extra from flat (from, to, by) triples. */
export function buildExtra(n: number, list: IntList, kind: 'cf' | 'hb'): Extra {
  const m = list.length / 3;
  const outStart = new Int32Array(n + 1);
  const inStart = new Int32Array(n + 1);
  for (let e = 0; e < m; e++) {
    outStart[list.data[3 * e]! + 1]!++;
    inStart[list.data[3 * e + 1]! + 1]!++;
  }
  for (let v = 0; v < n; v++) {
    outStart[v + 1]! += outStart[v]!;
    inStart[v + 1]! += inStart[v]!;
  }
  const outTo = new Int32Array(m);
  const outBy = new Int32Array(m);
  const inFrom = new Int32Array(m);
  const inBy = new Int32Array(m);
  const of = outStart.slice(0, n);
  const inf = inStart.slice(0, n);
  for (let e = 0; e < m; e++) {
    const a = list.data[3 * e]!;
    const b = list.data[3 * e + 1]!;
    const r = list.data[3 * e + 2]!;
    outTo[of[a]!] = b;
    outBy[of[a]!++] = r;
    inFrom[inf[b]!] = a;
    inBy[inf[b]!++] = r;
  }
  return { kind, outStart, outTo, outBy, inStart, inFrom, inBy };
}

/** An operation as a witness shows it, numbered `id`. */
export const recordOp = (r: OpRecord, id: number): WitnessOp => ({
  id,
  index: r.invoke.index,
  completionIndex: r.completion?.index,
  process: r.process,
  time: r.invoke.time,
  f: r.f,
  key: r.key,
  value: r.value,
  type: r.type,
});

export const witnessOp = (g: CausalGraph, v: number): WitnessOp => recordOp(recordOf(g, v), v);

/** "x=1" */
export const kv = (g: CausalGraph, v: number): string =>
  `${String(recordOf(g, v).key)}=${JSON.stringify(recordOf(g, v).value)}`;

/** "process 0's write x=1 (index 3)" */
export const said = (g: CausalGraph, v: number): string => {
  const r = recordOf(g, v);
  return `process ${r.process}'s ${r.f} ${kv(g, v)} (index ${r.invoke.index})`;
};

/** Does node u have write a in its causal past (or is it a)? Needs the traversal's rows. */
function writerHas(g: CausalGraph, co: CoResult, w: number, a: number): boolean {
  if (w === a) return true;
  const t = g.sess[a]!;
  return vcAt(g, co, w, t) > g.pos[a]!;
}

/**
 * A chain of po/rf steps showing `a →CO b` (a a write, b any visited node with a in its past):
 * walking back from b, each hop enters b's session at the earliest read that brought a into
 * view. Steps are in forward order, PO runs compressed to one step.
 */
export function coPath(g: CausalGraph, co: CoResult, a: number, b: number): Step[] {
  if (!co.exact) {
    // The clocks are gone (checkCoCompact): search instead.
    const found = bfsPath(g, a, b, undefined, () => true);
    if (!found) throw new Error(`internal: no causal path from node ${a} to node ${b}`);
    return found;
  }
  const back: Step[] = [];
  const t = g.sess[a]!;
  let cur = b;
  for (let guard = 0; cur !== a && guard <= g.n; guard++) {
    const s = g.sess[cur]!;
    if (s === t) {
      back.push({ from: a, to: cur, kind: 'po' });
      break;
    }
    let u = -1;
    for (let v = g.sessStart[s]!; v <= cur; v++) {
      if (g.isWrite[v] || g.rf[v]! < 0) continue;
      if (writerHas(g, co, g.rf[v]!, a)) {
        u = v;
        break;
      }
    }
    if (u < 0) throw new Error(`internal: no causal path from node ${a} to node ${b}`);
    if (u !== cur) back.push({ from: u, to: cur, kind: 'po' });
    back.push({ from: g.rf[u]!, to: u, kind: 'rf' });
    cur = g.rf[u]!;
  }
  return back.reverse();
}

/** Merges consecutive po steps (a →po b →po c becomes a →po c). */
export function compress(steps: Step[]): Step[] {
  const out: Step[] = [];
  for (const st of steps) {
    const last = out[out.length - 1];
    if (last && last.kind === 'po' && st.kind === 'po') last.to = st.to;
    else out.push({ ...st });
  }
  return out;
}

/**
 * Shortest path (fewest non-po steps) from a to b over PO ∪ RF ∪ extra, inside the nodes where
 * `inSet` holds: 0-1 BFS. Returns undefined when b is unreachable.
 */
export function bfsPath(
  g: CausalGraph,
  a: number,
  b: number,
  extra: Extra | undefined,
  inSet: (v: number) => boolean,
): Step[] | undefined {
  const n = g.n;
  const dist = new Int32Array(n).fill(-1);
  const prev = new Int32Array(n).fill(-1);
  const prevKind = new Uint8Array(n); // 0 po, 1 rf, 2 extra
  const prevBy = new Int32Array(n).fill(-1);
  const deque = new Int32Array(2 * n + 2);
  let head = n + 1;
  let tail = n + 1;
  dist[a] = 0;
  deque[tail++] = a;
  const relax = (u: number, v: number, w: number, kind: number, by: number) => {
    if (!inSet(v)) return;
    const d = dist[u]! + w;
    if (dist[v]! >= 0 && dist[v]! <= d) return;
    dist[v] = d;
    prev[v] = u;
    prevKind[v] = kind;
    prevBy[v] = by;
    if (w === 0) deque[--head] = v;
    else deque[tail++] = v;
  };
  while (head < tail) {
    const u = deque[head++]!;
    if (u === b) break;
    if (u + 1 < n && g.sess[u + 1] === g.sess[u]) relax(u, u + 1, 0, 0, -1);
    for (let i = g.readerStart[u]!; i < g.readerStart[u + 1]!; i++) relax(u, g.readers[i]!, 1, 1, -1);
    if (extra)
      for (let i = extra.outStart[u]!; i < extra.outStart[u + 1]!; i++)
        relax(u, extra.outTo[i]!, 1, 2, extra.outBy[i]!);
  }
  if (dist[b]! < 0 || a === b) return a === b ? [] : undefined;
  const steps: Step[] = [];
  for (let v = b; v !== a; v = prev[v]!) {
    const kind = prevKind[v] === 0 ? 'po' : prevKind[v] === 1 ? 'rf' : extra!.kind;
    const st: Step = { from: prev[v]!, to: v, kind };
    if (prevKind[v] === 2) st.by = prevBy[v]!;
    steps.push(st);
  }
  return compress(steps.reverse());
}

/**
 * A cycle among the nodes not visited by a Kahn traversal (`done[v] = 0`), over PO ∪ RF ∪ extra
 * (restricted to `inSet`): walk unvisited predecessors until a node repeats, then shorten it
 * with a BFS from that node back to itself.
 */
export function findCycle(
  g: CausalGraph,
  done: Uint8Array,
  extra: Extra | undefined,
  inSet: (v: number) => boolean = () => true,
): Step[] {
  const n = g.n;
  let start = -1;
  for (let v = 0; v < n; v++)
    if (!done[v] && inSet(v)) {
      start = v;
      break;
    }
  if (start < 0) return [];
  const seen = new Uint8Array(n);
  let cur = start;
  const live = (v: number) => v >= 0 && !done[v] && inSet(v);
  while (!seen[cur]) {
    seen[cur] = 1;
    let p = -1;
    if (live(g.rf[cur]!)) p = g.rf[cur]!;
    if (p < 0 && extra)
      for (let i = extra.inStart[cur]!; i < extra.inStart[cur + 1]!; i++)
        if (live(extra.inFrom[i]!)) {
          p = extra.inFrom[i]!;
          break;
        }
    if (p < 0 && g.pos[cur]! > 0 && live(cur - 1)) p = cur - 1;
    if (p < 0) throw new Error('internal: an unvisited node without an unvisited predecessor');
    cur = p;
  }
  // cur lies on a cycle; find the shortest way round from cur's successors back to cur.
  const onCycle = cur;
  let best: Step[] | undefined;
  const tryFrom = (v: number, first: Step) => {
    const rest = v === onCycle ? [] : bfsPath(g, v, onCycle, extra, live);
    if (rest && (!best || rest.length + 1 < best.length)) best = compress([first, ...rest]);
  };
  if (onCycle + 1 < n && g.sess[onCycle + 1] === g.sess[onCycle] && live(onCycle + 1))
    tryFrom(onCycle + 1, { from: onCycle, to: onCycle + 1, kind: 'po' });
  for (let i = g.readerStart[onCycle]!; i < g.readerStart[onCycle + 1]!; i++)
    if (live(g.readers[i]!)) tryFrom(g.readers[i]!, { from: onCycle, to: g.readers[i]!, kind: 'rf' });
  if (extra)
    for (let i = extra.outStart[onCycle]!; i < extra.outStart[onCycle + 1]!; i++)
      if (live(extra.outTo[i]!))
        tryFrom(extra.outTo[i]!, {
          from: onCycle,
          to: extra.outTo[i]!,
          kind: extra.kind,
          by: extra.outBy[i]!,
        });
  if (!best) throw new Error('internal: no cycle through a node found on one');
  return best;
}

/** Why an edge holds, in words. */
export function why(g: CausalGraph, st: Step): string {
  const a = recordOf(g, st.from);
  const b = recordOf(g, st.to);
  switch (st.kind) {
    case 'po':
      return `process ${a.process} ran ${a.f} ${kv(g, st.from)} (index ${a.invoke.index}) before ${b.f} ${kv(g, st.to)} (index ${b.invoke.index})`;
    case 'rf':
      return `process ${b.process} read ${kv(g, st.to)} (index ${b.invoke.index}), the value process ${a.process} wrote (index ${a.invoke.index})`;
    case 'cf':
      return `${said(g, st.by!)} returned ${kv(g, st.to)} while ${kv(g, st.from)} was in its causal past, so every replica must order ${kv(g, st.from)} before ${kv(g, st.to)}`;
    case 'hb':
      return `${said(g, st.by!)} returned ${kv(g, st.to)} while ${kv(g, st.from)} was already visible to that session, so in its view ${kv(g, st.from)} comes before ${kv(g, st.to)}`;
  }
}

export const toEdge = (g: CausalGraph, st: Step): WitnessEdge => ({
  from: st.from,
  to: st.to,
  kind: st.kind,
  why: why(g, st),
});

/** A `co` edge from a to b explained by its chain of steps. */
export function coEdge(g: CausalGraph, a: number, b: number, steps: Step[]): WitnessEdge {
  if (steps.length === 1) return toEdge(g, steps[0]!);
  return {
    from: a,
    to: b,
    kind: 'co',
    why: `${said(g, a)} is in the causal past of ${said(g, b)}: ${chainText(g, steps)}`,
    steps: steps.map((st) => toEdge(g, st)),
  };
}

/** "process 0 wrote x=1, then wrote y=1, process 1 read y=1, then wrote x=2" */
export function chainText(g: CausalGraph, steps: Step[]): string {
  if (steps.length === 0) return '';
  const first = recordOf(g, steps[0]!.from);
  const verb = (f: string) => (f === 'write' ? 'wrote' : 'read');
  const parts = [`process ${first.process} ${verb(first.f)} ${kv(g, steps[0]!.from)}`];
  let current = first.process;
  for (const st of steps) {
    const r = recordOf(g, st.to);
    if (st.kind === 'po')
      parts.push(`${r.process === current ? '' : `process ${r.process} `}then ${verb(r.f)} ${kv(g, st.to)}`);
    else if (st.kind === 'rf') parts.push(`process ${r.process} read ${kv(g, st.to)}`);
    else
      parts.push(
        `which ${st.kind === 'cf' ? 'must be ordered' : `process ${recordOf(g, st.by!).process} sees`} before ${kv(g, st.to)} (written by process ${r.process})`,
      );
    current = r.process;
  }
  return parts.join(', ');
}

/** Nodes mentioned by the steps, in first-seen order, plus extra ones. */
export function nodesOf(steps: Step[], also: number[]): number[] {
  const seen = new Set<number>();
  const out: number[] = [];
  const add = (v: number) => {
    if (!seen.has(v)) {
      seen.add(v);
      out.push(v);
    }
  };
  for (const v of also) add(v);
  for (const st of steps) {
    add(st.from);
    add(st.to);
    if (st.by !== undefined) add(st.by);
  }
  return out;
}

/**
 * The session guarantees whose rules a chain of po/rf steps uses (shared/spec/causal.md):
 * po into a read from a write is read-your-writes, from a read monotonic reads; po into a write
 * from a write is monotonic writes, from a read writes-follow-reads.
 */
export function guaranteesOf(g: CausalGraph, steps: Step[], into: Set<SessionGuarantee>): void {
  for (const st of steps) {
    if (st.kind !== 'po') continue;
    const fromWrite = g.isWrite[st.from] === 1;
    if (g.isWrite[st.to]) into.add(fromWrite ? 'monotonic-writes' : 'writes-follow-reads');
    else into.add(fromWrite ? 'read-your-writes' : 'monotonic-reads');
  }
}
