/**
 * Input cleaning (shared/spec/causal.md, "Input cleaning") and the graph the algorithms run on.
 *
 * Nodes are the kept operations, numbered session-major: session s owns the nodes
 * `sessStart[s] .. sessStart[s+1]-1` in program order, so PO-predecessor of node v is v-1 when
 * `pos[v] > 0`. Everything is in typed arrays; nothing is allocated per node after building.
 *
 * Transactions can be added later as nodes carrying several accesses: the clocks and cycle
 * checks work on nodes and their PO/RF edges only; the pattern checks read accesses.
 */
import { InputError } from '../../history/errors.js';
import type { History, Key, Op, Value } from '../../history/op.js';

/** Where a witness can find an operation's recorded details. */
export interface OpRecord {
  process: number;
  f: 'read' | 'write';
  key: Key;
  value: Value;
  type: 'ok' | 'info' | 'fail';
  invoke: Op;
  completion: Op | undefined;
}

export interface BadRead {
  pattern: 'ThinAirRead' | 'AbortedRead';
  read: OpRecord;
  /** For an AbortedRead: the failed write. */
  write?: OpRecord;
}

export interface CausalGraph {
  n: number;
  k: number;
  /** Session of each node, its position in the session, whether it writes. */
  sess: Int32Array;
  pos: Int32Array;
  isWrite: Uint8Array;
  key: Int32Array;
  /** Reads: the node written, -1 for the initial value (null). Writes: -1. */
  rf: Int32Array;
  /** CSR of the session's nodes: sessStart[s]..sessStart[s+1]. */
  sessStart: Int32Array;
  /** Process of each session. */
  sessProcess: number[];
  /** Readers of each write (CSR by writer). */
  readerStart: Int32Array;
  readers: Int32Array;
  /**
   * Writes grouped by key then session, in program order. For key x, entries
   * `ksStart[x]..ksStart[x+1]` name a session `ksSess[j]` and its x-writes
   * `keyWrites[ksFrom[j]..ksFrom[j+1]]` (positions in `keyWritePos`).
   */
  ksStart: Int32Array;
  ksSess: Int32Array;
  ksFrom: Int32Array;
  keyWrites: Int32Array;
  keyWritePos: Int32Array;
  keys: Key[];
  /** The history's events, and each node's invocation and completion in them (-1: none). */
  ops: Op[];
  nodeInv: Int32Array;
  nodeComp: Int32Array;
  badReads: BadRead[];
  stats: { operations: number; reads: number; writes: number; droppedReads: number; droppedWrites: number };
}

const valueKey = (v: Value): unknown =>
  v !== null && typeof v === 'object' ? `\u0000json:${JSON.stringify(v)}` : v;

export const describeOp = (r: OpRecord): string =>
  `${r.f} ${String(r.key)}=${JSON.stringify(r.value)} (index ${r.invoke.index}, process ${r.process})`;

const TYPE_INFO = 0;
const TYPE_OK = 1;
const TYPE_FAIL = 2;
const TYPES = ['info', 'ok', 'fail'] as const;

/** The records of the history, column-wise (no object per operation). */
interface Records {
  count: number;
  inv: Int32Array;
  comp: Int32Array;
  process: Float64Array;
  isWrite: Uint8Array;
  type: Uint8Array;
}

function recordAt(ops: Op[], recs: Records, i: number): OpRecord {
  const invoke = ops[recs.inv[i]!]!;
  const completion = recs.comp[i]! >= 0 ? ops[recs.comp[i]!] : undefined;
  const type = TYPES[recs.type[i]!]!;
  const isWrite = recs.isWrite[i] === 1;
  return {
    process: recs.process[i]!,
    f: isWrite ? 'write' : 'read',
    key: invoke.key ?? '',
    value: isWrite ? invoke.value : type === 'ok' ? completion!.value : null,
    type,
    invoke,
    completion,
  };
}

/** The record behind node v (allocates: for witnesses only). */
export const recordOf = (g: CausalGraph, v: number): OpRecord => {
  const invoke = g.ops[g.nodeInv[v]!]!;
  const completion = g.nodeComp[v]! >= 0 ? g.ops[g.nodeComp[v]!] : undefined;
  const isWrite = g.isWrite[v] === 1;
  return {
    process: invoke.process as number,
    f: isWrite ? 'write' : 'read',
    key: invoke.key ?? '',
    value: isWrite ? invoke.value : completion!.value,
    type: completion === undefined ? 'info' : (completion.type as 'ok' | 'info'),
    invoke,
    completion,
  };
};

/**
 * (key id, value) → record: an open-addressing table on typed arrays for integer values (what
 * workloads write), a Map per key for anything else. No allocation per integer write.
 */
class WriteIndex {
  /** Slots of three: key id, value, record + 1 (0: empty). */
  private readonly table: Int32Array;
  private readonly mask: number;
  private readonly other = new Map<number, Map<unknown, number>>();

  constructor(capacity: number) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.table = new Int32Array(size * 3);
    this.mask = size - 1;
  }

  /** The slot (×3) holding (kid, v), or the empty one where it would go. */
  private slot(kid: number, v: number): number {
    let h = Math.imul(kid ^ Math.imul(v, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    const t = this.table;
    let i = h & this.mask;
    while (t[3 * i + 2] !== 0 && (t[3 * i] !== kid || t[3 * i + 1] !== v)) i = (i + 1) & this.mask;
    return 3 * i;
  }

  /** Records (kid, value) → rec; returns the earlier record of that pair, or -1. */
  add(kid: number, value: Value, rec: number): number {
    if (typeof value === 'number' && (value | 0) === value) {
      const i = this.slot(kid, value);
      const t = this.table;
      if (t[i + 2] !== 0) return t[i + 2]! - 1;
      t[i] = kid;
      t[i + 1] = value;
      t[i + 2] = rec + 1;
      return -1;
    }
    let m = this.other.get(kid);
    if (!m) {
      m = new Map();
      this.other.set(kid, m);
    }
    const vk = valueKey(value);
    const prev = m.get(vk);
    if (prev !== undefined) return prev;
    m.set(vk, rec);
    return -1;
  }

  get(kid: number, value: Value): number {
    if (typeof value === 'number' && (value | 0) === value) return this.table[this.slot(kid, value) + 2]! - 1;
    return this.other.get(kid)?.get(valueKey(value)) ?? -1;
  }
}

/** Builds the graph; throws InputError on a repeated written value or an unsupported operation. */
export function buildGraph(history: History, file: string): CausalGraph {
  // Pair invocations with completions, client operations only.
  const ops = history.ops;
  const cap = ops.length;
  const R: Records = {
    count: 0,
    inv: new Int32Array(cap),
    comp: new Int32Array(cap),
    process: new Float64Array(cap),
    isWrite: new Uint8Array(cap),
    type: new Uint8Array(cap),
  };
  // The open invocation of each process: an array when process ids are small (the usual case).
  let maxProcess = -1;
  for (let i = 0; i < ops.length; i++) {
    const p = ops[i]!.process;
    if (typeof p === 'number' && p > maxProcess) maxProcess = p;
  }
  const dense = Number.isSafeInteger(maxProcess) && maxProcess < 1 << 22;
  const openArr = new Int32Array(dense ? maxProcess + 1 : 0).fill(-1);
  const openMap = new Map<number, number>();
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (op.process === 'nemesis') continue;
    if (op.type === 'invoke') {
      if (op.f !== 'read' && op.f !== 'write')
        throw new InputError(
          file,
          undefined,
          `the causal checker handles read and write operations only; index ${op.index} is a ${op.f}`,
        );
      const r = R.count++;
      R.inv[r] = i;
      R.comp[r] = -1;
      R.process[r] = op.process;
      R.isWrite[r] = op.f === 'write' ? 1 : 0;
      R.type[r] = TYPE_INFO;
      if (dense && op.process >= 0 && Number.isInteger(op.process)) openArr[op.process] = r;
      else openMap.set(op.process, r);
    } else {
      let r: number;
      if (dense && op.process >= 0 && Number.isInteger(op.process)) {
        r = openArr[op.process]!;
        openArr[op.process] = -1;
      } else {
        r = openMap.get(op.process) ?? -1;
        openMap.delete(op.process);
      }
      if (r < 0) continue;
      R.comp[r] = i;
      R.type[r] = op.type === 'ok' ? TYPE_OK : op.type === 'fail' ? TYPE_FAIL : TYPE_INFO;
    }
  }
  const count = R.count;
  const rec = (i: number) => recordAt(ops, R, i);

  // Index writes by (key, value); a repeated value is an error naming both operations.
  const keyIds = new Map<Key, number>();
  const keys: Key[] = [];
  const written = new WriteIndex(count);
  const recKey = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const invoke = ops[R.inv[i]!]!;
    const k = invoke.key ?? '';
    let kid = keyIds.get(k);
    if (kid === undefined) {
      kid = keys.length;
      keyIds.set(k, kid);
      keys.push(k);
    }
    recKey[i] = kid;
    if (!R.isWrite[i]) continue;
    if (invoke.value === null)
      throw new InputError(
        file,
        undefined,
        `${describeOp(rec(i))} writes null, which stands for the initial value and is never written`,
      );
    const prev = written.add(kid, invoke.value, i);
    if (prev >= 0)
      throw new InputError(
        file,
        undefined,
        `key ${String(k)}: value ${JSON.stringify(invoke.value)} is written twice, by ${describeOp(rec(prev))} and by ${describeOp(rec(i))}; the causal checker needs unique written values`,
      );
  }

  // Resolve reads; flag thin-air and aborted reads; keep info writes somebody read.
  const keep = new Uint8Array(count);
  const rfRec = new Int32Array(count).fill(-1);
  const badReads: BadRead[] = [];
  let reads = 0;
  let writes = 0;
  let droppedReads = 0;
  let droppedWrites = 0;
  for (let i = 0; i < count; i++) {
    if (R.isWrite[i]) {
      if (R.type[i] === TYPE_OK) keep[i] = 1;
      continue;
    }
    if (R.type[i] !== TYPE_OK) {
      droppedReads++;
      continue;
    }
    const value = ops[R.comp[i]!]!.value;
    if (value === null) {
      keep[i] = 1;
      continue;
    }
    const w = written.get(recKey[i]!, value);
    if (w < 0) {
      badReads.push({ pattern: 'ThinAirRead', read: rec(i) });
      continue;
    }
    if (R.type[w] === TYPE_FAIL) {
      badReads.push({ pattern: 'AbortedRead', read: rec(i), write: rec(w) });
      continue;
    }
    if (R.type[w] === TYPE_INFO) keep[w] = 1;
    keep[i] = 1;
    rfRec[i] = w;
  }
  for (let i = 0; i < count; i++) {
    if (keep[i]) {
      if (R.isWrite[i]) writes++;
      else reads++;
    } else if (R.isWrite[i] && R.type[i] !== TYPE_FAIL) droppedWrites++;
  }

  // Sessions, session-major numbering.
  const sessOfProcess = new Map<number, number>();
  const sessProcess: number[] = [];
  const recSess = new Int32Array(count);
  let sessCount = new Int32Array(16);
  for (let i = 0; i < count; i++) {
    if (!keep[i]) continue;
    const p = R.process[i]!;
    let s = sessOfProcess.get(p);
    if (s === undefined) {
      s = sessProcess.length;
      sessOfProcess.set(p, s);
      sessProcess.push(p);
      if (s >= sessCount.length) {
        const grown = new Int32Array(sessCount.length * 2);
        grown.set(sessCount);
        sessCount = grown;
      }
    }
    recSess[i] = s;
    sessCount[s]!++;
  }
  const k = sessProcess.length;
  const sessStart = new Int32Array(k + 1);
  for (let s = 0; s < k; s++) sessStart[s + 1] = sessStart[s]! + sessCount[s]!;
  const n = sessStart[k]!;
  const fill = sessStart.slice(0, k);
  const nodeOfRec = new Int32Array(count).fill(-1);
  const sess = new Int32Array(n);
  const pos = new Int32Array(n);
  const isWrite = new Uint8Array(n);
  const key = new Int32Array(n);
  const rf = new Int32Array(n).fill(-1);
  const nodeInv = new Int32Array(n);
  const nodeComp = new Int32Array(n);
  for (let i = 0; i < count; i++) {
    if (!keep[i]) continue;
    const s = recSess[i]!;
    const v = fill[s]!++;
    nodeOfRec[i] = v;
    sess[v] = s;
    pos[v] = v - sessStart[s]!;
    isWrite[v] = R.isWrite[i]!;
    key[v] = recKey[i]!;
    nodeInv[v] = R.inv[i]!;
    nodeComp[v] = R.comp[i]!;
  }
  const readerCount = new Int32Array(n + 1);
  for (let i = 0; i < count; i++) {
    if (!keep[i] || rfRec[i]! < 0) continue;
    const w = nodeOfRec[rfRec[i]!]!;
    rf[nodeOfRec[i]!] = w;
    readerCount[w + 1]!++;
  }
  for (let v = 0; v < n; v++) readerCount[v + 1]! += readerCount[v]!;
  const readerStart = readerCount;
  const readers = new Int32Array(readerStart[n]!);
  const rfill = readerStart.slice(0, n);
  for (let v = 0; v < n; v++) {
    const w = rf[v]!;
    if (w >= 0) readers[rfill[w]!++] = v;
  }

  // Writes by key, then session, then position (a stable counting sort by key).
  const K = keys.length;
  const perKey = new Int32Array(K + 1);
  for (let v = 0; v < n; v++) if (isWrite[v]) perKey[key[v]! + 1]!++;
  for (let x = 0; x < K; x++) perKey[x + 1]! += perKey[x]!;
  const keyWrites = new Int32Array(perKey[K]!);
  const kfill = perKey.slice(0, K);
  for (let v = 0; v < n; v++) if (isWrite[v]) keyWrites[kfill[key[v]!]!++] = v;
  const keyWritePos = new Int32Array(keyWrites.length);
  for (let i = 0; i < keyWrites.length; i++) keyWritePos[i] = pos[keyWrites[i]!]!;
  // Session runs inside each key's segment.
  let runs = 0;
  for (let x = 0; x < K; x++)
    for (let i = perKey[x]!; i < perKey[x + 1]!; i++)
      if (i === perKey[x] || sess[keyWrites[i]!] !== sess[keyWrites[i - 1]!]) runs++;
  const ksStart = new Int32Array(K + 1);
  const ksSess = new Int32Array(runs);
  const ksFrom = new Int32Array(runs + 1);
  let j = 0;
  for (let x = 0; x < K; x++) {
    ksStart[x] = j;
    for (let i = perKey[x]!; i < perKey[x + 1]!; i++) {
      if (i === perKey[x] || sess[keyWrites[i]!] !== sess[keyWrites[i - 1]!]) {
        ksSess[j] = sess[keyWrites[i]!]!;
        ksFrom[j] = i;
        j++;
      }
    }
  }
  ksStart[K] = j;
  ksFrom[runs] = keyWrites.length;

  return {
    n,
    k,
    sess,
    pos,
    isWrite,
    key,
    rf,
    sessStart,
    sessProcess,
    readerStart,
    readers,
    ksStart,
    ksSess,
    ksFrom,
    keyWrites,
    keyWritePos,
    keys,
    ops,
    nodeInv,
    nodeComp,
    badReads,
    stats: { operations: count, reads, writes, droppedReads, droppedWrites },
  };
}

/**
 * The last x-write of session run j (an entry of key x's runs) at a position below `bound`,
 * as an index into keyWrites; -1 when there is none.
 */
export function lastWriteBelow(g: CausalGraph, j: number, bound: number): number {
  let lo = g.ksFrom[j]!;
  let hi = g.ksFrom[j + 1]!; // answer in [lo-1, hi-1]
  const p = g.keyWritePos;
  if (lo >= hi || p[lo]! >= bound) return -1;
  // invariant: p[lo] < bound; find the last index with p < bound
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (p[mid]! < bound) lo = mid;
    else hi = mid;
  }
  return lo;
}
