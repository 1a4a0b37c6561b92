/**
 * The evidence a search keeps for a person: the deepest partial linearizations reached (each
 * step with the state after it), and at the deepest dead end the operation whose return could
 * not be reached with the operations concurrent with it.
 */
import type { CandidateLists } from './lists.js';
import type { PartialLinearization } from './types.js';

const MAX_LONGEST = 3;

export class Evidence {
  private bestDepth = -1;
  stuck: number | undefined;
  concurrent: number[] | undefined;
  private stuckDepth = -1;
  // The deepest partial linearization, kept incrementally: only the part of the stack that
  // changed since the last copy is copied again (low = the lowest depth popped to since).
  private readonly bestOps: Int32Array;
  private readonly bestStates: Int32Array;
  private low = 0;
  private readonly extra: PartialLinearization[] = [];

  /** `stackOp[i]` is the i-th linearized operation, `stackPrev[i]` the state before it. */
  constructor(
    n: number,
    private readonly stackOp: Int32Array,
    private readonly stackPrev: Int32Array,
    private readonly call: Float64Array,
    private readonly ret: Float64Array,
    private readonly lists: CandidateLists,
  ) {
    this.bestOps = new Int32Array(n + 1);
    this.bestStates = new Int32Array(n + 1);
  }

  /** The stack of depth sp, ending in state s, as a partial linearization. */
  snapshot(sp: number, s: number): PartialLinearization {
    const ops: number[] = [];
    const states: number[] = [];
    for (let i = 0; i < sp; i++) {
      ops.push(this.stackOp[i]!);
      states.push(i + 1 < sp ? this.stackPrev[i + 1]! : s);
    }
    return { ops, states };
  }

  /** The search popped its stack to depth sp. */
  popped(sp: number) {
    if (sp < this.low) this.low = sp;
  }

  /** A dead end at depth sp in state s: remembers it if it is among the deepest. */
  deadEnd(sp: number, s: number) {
    if (sp < this.bestDepth) return;
    this.noteDepth(sp, s);
    const { head, next } = this.lists;
    let d = next[head]!;
    while ((d & 1) === 0) d = next[d]!;
    this.noteStuck(sp, d);
  }

  private noteDepth(sp: number, s: number) {
    if (sp > this.bestDepth) {
      for (let i = Math.max(0, Math.min(this.low, this.bestDepth) - 1); i < sp; i++) {
        this.bestOps[i] = this.stackOp[i]!;
        this.bestStates[i] = i + 1 < sp ? this.stackPrev[i + 1]! : s;
      }
      this.bestDepth = sp;
      this.low = sp;
      this.extra.length = 0;
    } else if (sp === this.bestDepth && this.extra.length < MAX_LONGEST - 1 && sp <= 2000)
      this.extra.push(this.snapshot(sp, s));
  }

  private noteStuck(sp: number, deadlineEntry: number) {
    if (sp <= this.stuckDepth) return;
    const { head, next, ihead, inext } = this.lists;
    const deadline = this.ret[deadlineEntry >> 1]!;
    this.stuckDepth = sp;
    this.stuck = deadlineEntry >> 1;
    const c: number[] = [];
    for (let e = next[head]!; e !== deadlineEntry; e = next[e]!) if ((e & 1) === 0) c.push(e >> 1);
    for (let x = inext[ihead]!; x !== ihead && this.call[x]! <= deadline; x = inext[x]!) c.push(x);
    this.concurrent = c;
  }

  /** The longest partial linearizations found so far. */
  longest(): PartialLinearization[] {
    return this.bestDepth < 0
      ? []
      : [
          {
            ops: Array.from(this.bestOps.subarray(0, this.bestDepth)),
            states: Array.from(this.bestStates.subarray(0, this.bestDepth)),
          },
          ...this.extra,
        ];
  }
}
