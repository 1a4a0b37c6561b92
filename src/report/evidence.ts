/**
 * A checker's result as a person reads it: the verdict, its summary, and the evidence the
 * checker gave (linearizability failures with their longest partial linearizations, causal
 * anomalies with their witnesses), then the raw result for anything else.
 */
import { esc, json, verdictBadge } from './html.js';

interface OpLike {
  description?: string;
  process?: number;
  f?: string;
  value?: unknown;
  output?: unknown;
  type?: string;
  invokeIndex?: number;
  index?: number;
  key?: unknown;
}

const describeOp = (op: OpLike): string =>
  esc(
    op.description ??
      `process ${op.process} ${op.f}${op.key !== undefined ? ` ${JSON.stringify(op.key)}` : ''} ${JSON.stringify(op.value)} → ${op.type}`,
  );

const RAW_LIMIT = 200_000;
const LIST_LIMIT = 20;

const TAIL_STEPS = 12;

/** A partial linearization: its last steps in view (they lead to the failure), the rest folded. */
function renderSteps(steps: Array<{ op: OpLike; state: string }>): string {
  const item = (s: { op: OpLike; state: string }) =>
    `<li>${describeOp(s.op)} <span class="state">⇒ ${esc(s.state)}</span></li>`;
  const cut = Math.max(0, steps.length - TAIL_STEPS);
  const head = steps.slice(0, cut);
  const folded = head.length
    ? `<details><summary>${head.length} earlier steps</summary><ol class="steps">${head.map(item).join('')}</ol></details>`
    : '';
  return `${folded}<ol class="steps" start="${cut + 1}">${steps.slice(cut).map(item).join('')}</ol>`;
}

function linearizabilityFailures(failures: unknown[]): string {
  return failures
    .slice(0, LIST_LIMIT)
    .map((f) => {
      const failure = f as {
        key?: unknown;
        valid?: unknown;
        reason?: string;
        op?: OpLike;
        concurrent?: OpLike[];
        longest?: Array<Array<{ op: OpLike; state: string }>>;
      };
      const longest = (failure.longest ?? []).slice(0, 3).map(renderSteps).join('');
      const concurrent = (failure.concurrent ?? []).map((o) => `<li>${describeOp(o)}</li>`).join('');
      return `<div class="failure">
  <h4>key ${json(failure.key ?? null)} ${verdictBadge(failure.valid as boolean)} ${failure.reason ? esc(failure.reason) : ''}</h4>
  ${failure.op ? `<p>No order of operations explains <b>${describeOp(failure.op)}</b>.</p>` : ''}
  ${longest ? `<p>Longest partial linearizations (each step with the state after it):</p>${longest}` : ''}
  ${concurrent ? `<p>Operations that were concurrent at that point:</p><ul>${concurrent}</ul>` : ''}
</div>`;
    })
    .join('');
}

function causalAnomalies(anomalies: unknown[]): string {
  return anomalies
    .slice(0, LIST_LIMIT)
    .map((a) => {
      const anomaly = a as {
        pattern?: string;
        models?: string[];
        explanation?: string;
        ops?: OpLike[];
        edges?: Array<{ from: number; to: number; kind: string; why: string }>;
      };
      const ops = (anomaly.ops ?? []).map((o) => `<li>${describeOp(o)}</li>`).join('');
      const edges = (anomaly.edges ?? [])
        .map((e) => `<li><code>${esc(e.from)} —${esc(e.kind)}→ ${esc(e.to)}</code> ${esc(e.why)}</li>`)
        .join('');
      return `<div class="failure">
  <h4>${esc(anomaly.pattern ?? 'anomaly')} <span class="muted">(violates ${esc((anomaly.models ?? []).join(', '))})</span></h4>
  <p>${esc(anomaly.explanation ?? '')}</p>
  ${ops ? `<p>Operations:</p><ul>${ops}</ul>` : ''}
  ${edges ? `<p>Edges:</p><ul>${edges}</ul>` : ''}
</div>`;
    })
    .join('');
}

export function renderCheckerResult(name: string, result: Record<string, unknown>): string {
  const parts = [`<h3>${esc(name)} ${verdictBadge(result.valid as boolean)}</h3>`];
  if (typeof result.summary === 'string') parts.push(`<p class="summary">${esc(result.summary)}</p>`);
  if (typeof result.error === 'string') parts.push(`<p class="error">${esc(result.error)}</p>`);
  if (Array.isArray(result.failures) && result.failures.length > 0) {
    parts.push(linearizabilityFailures(result.failures));
    if (result.failures.length > LIST_LIMIT)
      parts.push(`<p class="muted">…and ${result.failures.length - LIST_LIMIT} more.</p>`);
  }
  if (Array.isArray(result.anomalies) && result.anomalies.length > 0) {
    parts.push(causalAnomalies(result.anomalies));
    if (result.anomalies.length > LIST_LIMIT)
      parts.push(`<p class="muted">…and ${result.anomalies.length - LIST_LIMIT} more.</p>`);
  }
  const raw = JSON.stringify(result, null, 2);
  parts.push(
    `<details><summary>Full result (JSON)</summary><pre>${esc(raw.length > RAW_LIMIT ? `${raw.slice(0, RAW_LIMIT)}\n…` : raw)}</pre></details>`,
  );
  return `<section class="checker">${parts.join('\n')}</section>`;
}

/** Event indices a result points at (for the timeline to centre on and outline). */
export function highlightedEvents(results: Record<string, unknown>): number[] {
  const out: number[] = [];
  for (const result of Object.values(results)) {
    const r = result as {
      failures?: Array<{ op?: OpLike; concurrent?: OpLike[] }>;
      anomalies?: Array<{ ops?: OpLike[] }>;
    };
    for (const f of r.failures ?? []) {
      for (const op of [f.op, ...(f.concurrent ?? [])])
        if (op?.invokeIndex !== undefined) out.push(op.invokeIndex);
    }
    for (const a of r.anomalies ?? [])
      for (const op of a.ops ?? []) if (op.index !== undefined) out.push(op.index);
  }
  return out;
}
