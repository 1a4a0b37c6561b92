/**
 * The causal consistency checker: CC, CCv and CM verdicts (POPL'17 bad patterns), session
 * guarantees by name, and a witness for every reported violation. See shared/spec/causal.md.
 */
import { InputError } from '../../history/errors.js';
import type { History } from '../../history/op.js';
import type { Checker, Verdict } from '../types.js';
import { CM_MAX_BYTES, type CmFinding, checkCm, cmBytes } from './cm.js';
import { checkCoCompact } from './compact.js';
import { type CoResult, checkCo, denseClockBytes, IntList, kahnWithExtra, TimeUp, tuning } from './core.js';
import { buildGraph, type CausalGraph, recordOf } from './extract.js';
import { OverBudget } from './rows.js';
import {
  type Anomaly,
  type CausalModel,
  type CausalOptions,
  type CausalResult,
  GUARANTEES,
  MODELS,
  PATTERN_MODELS,
  type Pattern,
  type SessionGuarantee,
} from './types.js';
import {
  bfsPath,
  buildExtra,
  chainText,
  coEdge,
  compress,
  coPath,
  findCycle,
  guaranteesOf,
  kv,
  nodesOf,
  recordOp,
  type Step,
  said,
  toEdge,
  witnessOp,
} from './witness.js';

export * from './types.js';

const GUARANTEE_NAMES: Record<SessionGuarantee, string> = {
  'read-your-writes': 'read-your-writes',
  'monotonic-reads': 'monotonic reads',
  'monotonic-writes': 'monotonic writes',
  'writes-follow-reads': 'writes-follow-reads',
};

function resolveModel(model: unknown, file: string): CausalModel {
  if (model === undefined || model === null) return 'CCv';
  const found = MODELS.find((m) => typeof model === 'string' && m.toLowerCase() === model.toLowerCase());
  if (!found)
    throw new InputError(
      file,
      undefined,
      `unknown causal model ${JSON.stringify(model)}: choose CC, CCv or CM`,
    );
  return found;
}

const anomaly = (pattern: Pattern, rest: Omit<Anomaly, 'pattern' | 'models'>): Anomaly => ({
  pattern,
  models: [...PATTERN_MODELS[pattern]],
  ...rest,
});

const guaranteeText = (gs: SessionGuarantee[]) =>
  gs.length === 0 ? '' : ` Session guarantees broken: ${gs.map((x) => GUARANTEE_NAMES[x]).join(', ')}.`;

function writeCOInitRead(g: CausalGraph, co: CoResult, r: number, w: number): Anomaly {
  const steps = compress(coPath(g, co, w, r));
  const gs = new Set<SessionGuarantee>();
  guaranteesOf(g, steps, gs);
  const guarantees = GUARANTEES.filter((x) => gs.has(x));
  const rr = recordOf(g, r);
  return anomaly('WriteCOInitRead', {
    ops: nodesOf(steps, [r, w]).map((v) => witnessOp(g, v)),
    edges: [coEdge(g, w, r, steps)],
    explanation:
      `Process ${rr.process} read ${String(rr.key)}=null, the initial value (index ${rr.invoke.index}), ` +
      `although ${said(g, w)} was already in its causal past: ${chainText(g, steps)}.` +
      guaranteeText(guarantees),
    guarantees,
  });
}

function writeCORead(g: CausalGraph, co: CoResult, r: number, w1: number, w2: number): Anomaly {
  const p1 = compress(coPath(g, co, w1, w2));
  const p2 = compress(coPath(g, co, w2, r));
  const gs = new Set<SessionGuarantee>();
  guaranteesOf(g, p1, gs);
  guaranteesOf(g, p2, gs);
  const guarantees = GUARANTEES.filter((x) => gs.has(x));
  const rr = recordOf(g, r);
  return anomaly('WriteCORead', {
    ops: nodesOf([...p1, ...p2], [r, w1, w2]).map((v) => witnessOp(g, v)),
    edges: [toEdge(g, { from: w1, to: r, kind: 'rf' }), coEdge(g, w1, w2, p1), coEdge(g, w2, r, p2)],
    explanation:
      `Process ${rr.process} read ${kv(g, r)} (index ${rr.invoke.index}) although ${kv(g, w2)}, ` +
      `written after ${kv(g, w1)} in causal order, was already in its causal past: it read an overwritten value. ` +
      `${kv(g, w2)} follows ${kv(g, w1)}: ${chainText(g, p1)}. ` +
      `${kv(g, w2)} reached the reader: ${chainText(g, p2)}.` +
      guaranteeText(guarantees),
    guarantees,
  });
}

function cycleAnomaly(
  g: CausalGraph,
  pattern: 'CyclicCO' | 'CyclicCF' | 'CyclicHB',
  steps: Step[],
  lead: string,
) {
  const forced = steps.filter((st) => st.kind === 'cf' || st.kind === 'hb');
  const reasons = forced.map(
    (st) => `${said(g, st.by!)} returned ${kv(g, st.to)} with ${kv(g, st.from)} in view`,
  );
  return anomaly(pattern, {
    ops: nodesOf(steps, []).map((v) => witnessOp(g, v)),
    edges: steps.map((st) => toEdge(g, st)),
    explanation:
      `${lead} The cycle: ${chainText(g, steps)}, and back to ${kv(g, steps[0]!.from)}.` +
      (reasons.length ? ` Orders forced by reads: ${reasons.join('; ')}.` : ''),
  });
}

function cmAnomaly(g: CausalGraph, f: CmFinding): Anomaly {
  const proc = g.sessProcess[f.session]!;
  if (f.pattern === 'WriteHBInitRead') {
    const steps = bfsPath(g, f.write, f.read, f.extra, f.inSet) ?? [];
    return anomaly('WriteHBInitRead', {
      ops: nodesOf(steps, [f.read, f.write]).map((v) => witnessOp(g, v)),
      edges: steps.map((st) => toEdge(g, st)),
      explanation:
        `Given the order in which process ${proc} must have applied writes (each of its reads fixes that the ` +
        `writes it had seen come before the one it returned), it read ${String(recordOf(g, f.read).key)}=null ` +
        `(index ${recordOf(g, f.read).invoke.index}) after ${said(g, f.write)}: ${chainText(g, steps)}.`,
    });
  }
  if (f.cycle)
    return cycleAnomaly(
      g,
      'CyclicHB',
      f.cycle,
      `Process ${proc}'s own view of the order of writes contradicts itself.`,
    );
  // The read f.read returned w2 while w1 was HB-before it, and w2 is HB-before w1.
  const w2 = g.rf[f.read]!;
  const back = bfsPath(g, w2, f.write, f.extra, f.inSet) ?? [];
  const steps = compress([...back, { from: f.write, to: w2, kind: 'hb', by: f.read }]);
  return cycleAnomaly(
    g,
    'CyclicHB',
    steps,
    `Process ${proc}'s own view of the order of writes contradicts itself: it read ${kv(g, w2)} ` +
      `(index ${recordOf(g, f.read).invoke.index}) with ${kv(g, f.write)} already in view, which puts ` +
      `${kv(g, f.write)} before ${kv(g, w2)}, yet ${kv(g, w2)} comes before ${kv(g, f.write)}.`,
  );
}

/** Does `a →CO b` hold? A search over PO ∪ RF from a (for the few candidates of a cycle). */
function coReaches(g: CausalGraph, a: number, b: number): boolean {
  const seen = new Uint8Array(g.n);
  const stack = [a];
  seen[a] = 1;
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (v === b) return true;
    const next = v + 1;
    if (next < g.n && g.sess[next] === g.sess[v] && !seen[next]) {
      seen[next] = 1;
      stack.push(next);
    }
    for (let i = g.readerStart[v]!; i < g.readerStart[v + 1]!; i++) {
      const r = g.readers[i]!;
      if (!seen[r]) {
        seen[r] = 1;
        stack.push(r);
      }
    }
  }
  return false;
}

/** Checks a history of reads and writes for CC, CCv and CM. Throws InputError on bad input. */
export function checkCausal(history: History, options: CausalOptions = {}): CausalResult {
  const started = performance.now();
  const file = typeof options.file === 'string' ? options.file : '<history>';
  const model = resolveModel(options.model, file);
  const deadline =
    options.timeLimitMs !== undefined ? Date.now() + options.timeLimitMs : Number.POSITIVE_INFINITY;
  const maxWitnesses = options.maxWitnesses ?? 100;
  const cmMaxOps = options.cmMaxOps ?? 100_000;
  const clockBudget = (options.clockBudgetMB ?? 2048) * 2 ** 20;
  const notes: string[] = [];
  const g = buildGraph(history, file);
  const counts: Partial<Record<Pattern, number>> = {};
  const bump = (p: Pattern, by = 1) => {
    if (by > 0) counts[p] = (counts[p] ?? 0) + by;
  };
  const anomalies: Anomaly[] = [];
  const room = () => anomalies.length < maxWitnesses;

  for (const b of g.badReads) {
    bump(b.pattern);
    if (!room()) continue;
    const r = b.read;
    const ops = [recordOp(r, 0)];
    const edges = [];
    let explanation = `Process ${r.process} read ${String(r.key)}=${JSON.stringify(r.value)} (index ${r.invoke.index}), a value no operation wrote.`;
    if (b.write) {
      ops.push(recordOp(b.write, 1));
      edges.push({
        from: 1,
        to: 0,
        kind: 'rf' as const,
        why: `the read returned the value of the write at index ${b.write.invoke.index}, which failed`,
      });
      explanation =
        `Process ${r.process} read ${String(r.key)}=${JSON.stringify(r.value)} (index ${r.invoke.index}), ` +
        `a value only a failed write wrote (process ${b.write.process}, index ${b.write.invoke.index}): that write did not take effect.`;
    }
    anomalies.push(anomaly(b.pattern, { ops, edges, explanation }));
  }

  const models: Record<CausalModel, Verdict> = { CC: 'unknown', CCv: 'unknown', CM: 'unknown' };
  let cfEdges = 0;
  let co: CoResult | undefined;
  try {
    // Very many writing sessions: clocks live only as long as some read can need them.
    const compact = tuning.compact || denseClockBytes(g) > clockBudget;
    co = compact ? checkCoCompact(g, deadline, clockBudget) : checkCo(g, deadline, false, clockBudget);
    let cv = co.visited === g.n ? kahnWithExtra(g, co.cf, 3, deadline) : undefined;
    /** The fast pass found CO ∪ CF cyclic and the precise one could not run: CC may be unknown. */
    let imprecise = false;
    if (co.visited < g.n || cv!.visited < g.n) {
      // Something is wrong: the precise pass tells WriteCORead from CyclicCF. It keeps every
      // clock, so with very many sessions it may not fit: then CCv is refuted, CC unknown.
      const need = denseClockBytes(g);
      let precise = need <= clockBudget && !tuning.compact;
      if (precise)
        try {
          co = checkCo(g, deadline, true, clockBudget);
          cv = co.visited === g.n ? kahnWithExtra(g, co.cf, 3, deadline) : undefined;
        } catch (e) {
          if (!(e instanceof OverBudget) || !compact) throw e;
          precise = false;
        }
      if (!precise && co.visited === g.n && cv) {
        // Every WriteCORead (w1 →CO w2, and the conflict edge w2 → w1 its read forced) lies on
        // a cycle: only conflict edges between writes left unvisited by the cycle check can be
        // one. When they are few, search the causal order for each instead.
        const cand: number[] = [];
        for (let e = 0; e < co.cf.length; e += 3)
          if (!cv.done[co.cf.at(e)] && !cv.done[co.cf.at(e + 1)]) cand.push(e);
        if (cand.length * g.n <= tuning.cycleSearch) {
          precise = true;
          const drop = new Set<number>();
          for (const e of cand)
            if (coReaches(g, co.cf.at(e + 1), co.cf.at(e))) {
              co.overwrittenReads.push3(co.cf.at(e + 2), co.cf.at(e + 1), co.cf.at(e));
              drop.add(e);
            }
          if (drop.size > 0) {
            // As in the precise pass, a read of an overwritten value forces no conflict edge.
            const kept = new IntList();
            for (let e = 0; e < co.cf.length; e += 3)
              if (!drop.has(e)) kept.push3(co.cf.at(e), co.cf.at(e + 1), co.cf.at(e + 2));
            co.cf = kept;
            cv = kahnWithExtra(g, co.cf, 3, deadline);
          }
        }
      }
      if (!precise) {
        imprecise = co.visited === g.n;
        notes.push(
          `CO ∪ CF has a cycle, but telling a read of an overwritten value from a conflict cycle needs every write's clock (up to ${Math.round(need / 2 ** 20)} MB for ${g.k} sessions, over clockBudgetMB): CC is unknown unless another pattern refutes it.`,
        );
      }
    }
    const cyclic = co.visited < g.n;
    const init = co.initReads.length / 2;
    const over = co.overwrittenReads.length / 3;
    if (cyclic) {
      bump('CyclicCO');
      if (room())
        anomalies.push(
          cycleAnomaly(
            g,
            'CyclicCO',
            findCycle(g, co.done, undefined),
            'An operation depends on itself: following program order and reads-from leads back to where it started.',
          ),
        );
      notes.push('PO ∪ RF has a cycle: operations after it were not checked for the other patterns.');
    }
    bump('WriteCOInitRead', init);
    bump('WriteCORead', over);
    for (let i = 0; i < init && room(); i++)
      anomalies.push(writeCOInitRead(g, co, co.initReads.at(2 * i), co.initReads.at(2 * i + 1)));
    for (let i = 0; i < over && room(); i++)
      anomalies.push(
        writeCORead(
          g,
          co,
          co.overwrittenReads.at(3 * i),
          co.overwrittenReads.at(3 * i + 1),
          co.overwrittenReads.at(3 * i + 2),
        ),
      );
    const ccBad = g.badReads.length > 0 || cyclic || init > 0 || over > 0;
    models.CC = ccBad ? false : imprecise ? 'unknown' : true;
    if (ccBad) models.CCv = models.CM = false;

    cfEdges = co.cf.length / 3;
    if (cv) {
      if (cv.visited < g.n) {
        bump('CyclicCF');
        models.CCv = false;
        if (room())
          anomalies.push(
            cycleAnomaly(
              g,
              'CyclicCF',
              findCycle(g, cv.done, buildExtra(g.n, co.cf, 'cf')),
              'No single order of the conflicting writes explains every read: replicas disagree on which write came last.',
            ),
          );
      } else if (!ccBad) models.CCv = true;
      if (imprecise) models.CM = 'unknown';
    }

    const runCm = options.cm === true || model === 'CM' || (options.cm !== false && g.n <= cmMaxOps);
    if (!cyclic && !ccBad && !imprecise) {
      if (!runCm)
        notes.push(
          `CM not checked: ${g.n} operations is above cmMaxOps (${cmMaxOps}); choose --model CM (or cm: true) to run it.`,
        );
      else if (cmBytes(g, co) > CM_MAX_BYTES)
        notes.push('CM not checked: the history is too large for its clock table.');
      else {
        const flagged = new Uint8Array(g.n);
        const findings = checkCm(g, co, flagged, deadline, Math.max(1, maxWitnesses - anomalies.length));
        for (const f of findings) {
          bump(f.pattern);
          if (room()) anomalies.push(cmAnomaly(g, f));
        }
        models.CM = findings.length === 0;
      }
    }
  } catch (e) {
    if (e instanceof TimeUp)
      notes.push(`time limit of ${options.timeLimitMs} ms reached: unfinished models are unknown.`);
    else if (e instanceof OverBudget)
      notes.push(
        `not checked: ${e.message} (${g.k} sessions; raise clockBudgetMB to try anyway): unfinished models are unknown.`,
      );
    else throw e;
    if (g.badReads.length > 0) models.CC = models.CCv = models.CM = false;
  }

  const sessionGuarantees = Object.fromEntries(GUARANTEES.map((x) => [x, 0])) as Record<
    SessionGuarantee,
    number
  >;
  for (const a of anomalies) for (const x of a.guarantees ?? []) sessionGuarantees[x]++;
  const total = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
  const verdictText = MODELS.map((m) => `${m} ${models[m]}`).join(', ');
  const valid = models[model];
  const kinds = Object.entries(counts)
    .map(([p, c]) => `${p} ×${c}`)
    .join(', ');
  const summary =
    valid === true
      ? `${model} holds: ${g.n} operations in ${g.k} sessions (${verdictText}${total > 0 ? `; ${kinds}` : ''}).`
      : valid === false
        ? `${model} violated: ${total} anomal${total === 1 ? 'y' : 'ies'} (${kinds}); ${verdictText}.`
        : `${model} unknown (${notes[notes.length - 1] ?? 'not checked'}); ${verdictText}.`;
  return {
    checker: 'causal',
    valid,
    model,
    models,
    summary,
    anomalies,
    anomalyCounts: counts,
    sessionGuarantees,
    stats: {
      ...g.stats,
      kept: g.n,
      sessions: g.k,
      keys: g.keys.length,
      conflictEdges: cfEdges,
      ms: Math.round(performance.now() - started),
    },
    notes,
  };
}

export const causalChecker: Checker = {
  name: 'causal',
  async check(history, options) {
    return checkCausal(history, options as CausalOptions);
  },
};
