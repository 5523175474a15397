import type { InStatement, InValue, Transaction } from "@libsql/client";
import type { SeamtraceEvent } from "@seamtrace/sdk";
import { chunks, multiRow } from "../../../platform/db/sql.js";
import type { PreparedEvent } from "../store.js";
import { beats, bestOf, runEvents, type BestRoot } from "./run-roots.js";
import { settleTrace, type OtlpRule, type Settled, type TraceSpan } from "./settle.js";
import { stepIdFor } from "./ids.js";
import type { Draft, ReportedDraft, Score, SpanDraft } from "./span-draft.js";
import type { SpanMeta } from "./span-meta.js";

/**
 * The SQL of OTLP trace state (otlp_spans, otlp_traces, otlp_runs, step_scores), run inside the
 * ingest write transaction so that two requests carrying spans of one trace, on any instance,
 * see each other's spans: the write lock orders them.
 */

export interface IncomingSpan {
  draft: Draft;
  meta: SpanMeta;
  scores: Score[];
}

export interface SettleOptions {
  ruleFor(workflow: string, step: string): OtlpRule | undefined;
  idleCloseMs: number;
}

/** The actor of what the idle-close job decides (a run ended without its root). */
export const CLOSE_ACTOR = "system:otlp-close";

/**
 * Stores a request's spans (a resent span is skipped: spans are immutable and their ids stable)
 * and settles every span of their traces that now can be; returns the events that settled.
 */
export async function ingestSpans(
  tx: Transaction,
  projectId: string,
  keyId: string,
  now: number,
  spans: readonly IncomingSpan[],
  options: SettleOptions,
): Promise<PreparedEvent[]> {
  const byTrace = new Map<string, Map<string, IncomingSpan>>();
  for (const s of spans) {
    let m = byTrace.get(s.draft.traceId);
    if (!m) byTrace.set(s.draft.traceId, (m = new Map()));
    if (!m.has(s.draft.spanId)) m.set(s.draft.spanId, s);
  }
  const out: PreparedEvent[] = [];
  for (const [traceId, incoming] of byTrace) out.push(...(await settleStoredTrace(tx, projectId, traceId, now, options, { keyId, incoming })));
  return out;
}

/** Settles whatever still waits in these traces, cutting what never came (the idle-close job). */
export async function closeTraces(
  tx: Transaction,
  projectId: string,
  traceIds: readonly string[],
  now: number,
  options: SettleOptions,
): Promise<PreparedEvent[]> {
  const out: PreparedEvent[] = [];
  for (const traceId of traceIds) out.push(...(await settleStoredTrace(tx, projectId, traceId, now, options, undefined)));
  return out;
}

/** Traces of any project with spans waiting since before `quietSince`, oldest first. */
export async function idleTraces(tx: Transaction, quietSince: number, limit: number): Promise<Array<{ projectId: string; traceId: string }>> {
  const rs = await tx.execute({
    sql: "SELECT project_id, trace_id FROM otlp_traces WHERE pending > 0 AND last_seen_at <= ? ORDER BY last_seen_at LIMIT ?",
    args: [quietSince, limit],
  });
  return rs.rows.map((r) => ({ projectId: String(r[0]), traceId: String(r[1]) }));
}

async function settleStoredTrace(
  tx: Transaction,
  projectId: string,
  traceId: string,
  now: number,
  options: SettleOptions,
  arrival: { keyId: string; incoming: Map<string, IncomingSpan> } | undefined,
): Promise<PreparedEvent[]> {
  const spans = new Map<string, TraceSpan>();
  const keys = new Map<string, string>();
  const take = (rows: ReadonlyArray<Record<string, unknown>>) => {
    for (const r of rows) {
      const spanId = String(r.span_id);
      keys.set(spanId, String(r.key_id));
      if (r.kind === "reported") spans.set(spanId, { kind: "reported", draft: JSON.parse(String(r.draft)) as ReportedDraft });
      else if (r.state === "settled") spans.set(spanId, { kind: "span", state: "settled", settled: JSON.parse(String(r.settled)) as Settled });
      else spans.set(spanId, { kind: "span", state: "pending", draft: JSON.parse(String(r.draft)) as SpanDraft });
    }
  };
  // Only what settling can look at is read: the spans still waiting, the arrivals (to skip a
  // resend), and then, level by level, the settled ancestors they reach. A long trace exported in
  // many requests so costs each request its own spans and their ancestry, not the whole trace.
  take(
    (await tx.execute({ sql: `SELECT ${COLUMNS} FROM otlp_spans WHERE project_id = ? AND trace_id = ? AND state = 'pending'`, args: [projectId, traceId] }))
      .rows,
  );
  take(
    await spansById(
      tx,
      projectId,
      traceId,
      [...(arrival?.incoming.keys() ?? [])].filter((id) => !spans.has(id)),
    ),
  );
  const stmts: InStatement[] = [];
  if (arrival) {
    const rows: InValue[][] = [];
    const scoreRows: InValue[][] = [];
    for (const [spanId, s] of arrival.incoming) {
      if (spans.has(spanId)) continue; // resent: stored already
      const d = s.draft;
      keys.set(spanId, arrival.keyId);
      if (d.kind === "reported") {
        spans.set(spanId, { kind: "reported", draft: d });
        rows.push([
          projectId,
          traceId,
          spanId,
          "reported",
          "settled",
          d.stepId,
          d.runId,
          arrival.keyId,
          now,
          d.startMs,
          d.endMs,
          JSON.stringify(d),
          null,
          JSON.stringify(s.meta),
        ]);
        if (d.stepId) {
          // Log records that came first were filed under the step id such a span would have had.
          for (const table of ["step_scores", "step_records"]) {
            stmts.push({
              sql: `UPDATE OR IGNORE ${table} SET step_id = ? WHERE project_id = ? AND step_id = ?`,
              args: [d.stepId, projectId, stepIdFor(traceId, spanId)],
            });
          }
        }
      } else {
        spans.set(spanId, { kind: "span", state: "pending", draft: d });
        rows.push([
          projectId,
          traceId,
          spanId,
          "span",
          "pending",
          d.stepId,
          null,
          arrival.keyId,
          now,
          d.startMs,
          d.endMs,
          JSON.stringify(d),
          null,
          JSON.stringify(s.meta),
        ]);
        for (const sc of s.scores) scoreRows.push(scoreRow(projectId, d.stepId, sc, now));
      }
    }
    for (const part of chunks(rows, 50)) {
      stmts.push(
        multiRow(
          "INSERT INTO otlp_spans (project_id, trace_id, span_id, kind, state, step_id, run_id, key_id, received_at, started_at, ended_at, draft, settled, meta) VALUES ",
          part,
          " ON CONFLICT DO NOTHING",
        ),
      );
    }
    stmts.push(...scoreStatements(scoreRows));
  }

  const asked = new Set<string>();
  for (let frontier = ancestryOf(spans, asked); frontier.length > 0; frontier = ancestryOf(spans, asked))
    take(await spansById(tx, projectId, traceId, frontier));

  const pendingSteps = [...spans.values()].flatMap((s) => (s.kind === "span" && s.state === "pending" ? [s.draft.stepId] : []));
  // Scores of the spans being stored now are not in the table yet (their INSERT is queued above).
  const scores = await loadScores(tx, projectId, pendingSteps);
  if (arrival) for (const s of arrival.incoming.values()) if (s.draft.kind === "span") for (const sc of s.scores) addScore(scores, s.draft.stepId, sc);

  const settled = settleTrace({ traceId, spans, ruleFor: options.ruleFor, scoresFor: (id) => scores.get(id) ?? [], closing: arrival === undefined });

  const out: PreparedEvent[] = [];
  const bests = await loadBests(tx, projectId, [...new Set(settled.flatMap((s) => (s.root ? [s.root.runId] : [])))]);
  const changed = new Set<string>();
  for (const s of settled) {
    const keyId = keys.get(s.spanId)!;
    stmts.push({
      sql: "UPDATE otlp_spans SET state = 'settled', draft = NULL, settled = ?, run_id = ? WHERE project_id = ? AND trace_id = ? AND span_id = ?",
      args: [JSON.stringify(s.settled), s.settled.runId, projectId, traceId, s.spanId],
    });
    if (s.root) {
      const best = bests.get(s.root.runId);
      for (const e of runEvents(s.root, best, options.idleCloseMs)) {
        const prepared: PreparedEvent = { event: e as SeamtraceEvent, keyId };
        // The job decided this run ended without its root; the span that stands in was the key's.
        if (e.type !== "run.started" && s.root.rootClass === 1) prepared.actor = CLOSE_ACTOR;
        out.push(prepared);
      }
      const candidate = bestOf(s.root);
      if (beats(candidate, best)) {
        bests.set(s.root.runId, candidate);
        changed.add(s.root.runId);
      }
    }
    out.push({ event: s.event, keyId });
  }
  for (const runId of changed) {
    const b = bests.get(runId)!;
    stmts.push({
      sql: `INSERT INTO otlp_runs (project_id, run_id, root_class, root_ended_at, root_trace_id, root_span_id) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (project_id, run_id) DO UPDATE SET root_class = excluded.root_class, root_ended_at = excluded.root_ended_at,
              root_trace_id = excluded.root_trace_id, root_span_id = excluded.root_span_id`,
      args: [projectId, runId, b.rootClass, b.endedAt, b.traceId, b.spanId],
    });
  }

  let waiting = 0;
  for (const s of spans.values()) if (s.kind === "span" && s.state === "pending") waiting++;
  if (waiting === 0) stmts.push({ sql: "DELETE FROM otlp_traces WHERE project_id = ? AND trace_id = ?", args: [projectId, traceId] });
  else {
    stmts.push({
      sql: `INSERT INTO otlp_traces (project_id, trace_id, last_seen_at, pending) VALUES (?, ?, ?, ?)
            ON CONFLICT (project_id, trace_id) DO UPDATE SET last_seen_at = excluded.last_seen_at, pending = excluded.pending`,
      args: [projectId, traceId, now, waiting],
    });
  }
  if (stmts.length > 0) await tx.batch(stmts);
  return out;
}

const COLUMNS = "span_id, kind, state, key_id, draft, settled";

async function spansById(tx: Transaction, projectId: string, traceId: string, ids: readonly string[]): Promise<Array<Record<string, unknown>>> {
  const rows: Array<Record<string, unknown>> = [];
  for (const part of chunks([...ids], 200)) {
    const rs = await tx.execute({
      sql: `SELECT ${COLUMNS} FROM otlp_spans WHERE project_id = ? AND trace_id = ? AND span_id IN (${part.map(() => "?").join(",")})`,
      args: [projectId, traceId, ...part],
    });
    rows.push(...rs.rows);
  }
  return rows;
}

/** Spans that waiting spans, or the settled spans they reach, refer to and that are not loaded (or known missing) yet. */
function ancestryOf(spans: Map<string, TraceSpan>, asked: Set<string>): string[] {
  const wanted = new Set<string>();
  for (const s of spans.values()) {
    if (s.kind === "span" && s.state === "pending") {
      if (s.draft.parentSpanId && !s.draft.remoteParent && !s.draft.attached) wanted.add(s.draft.parentSpanId);
      for (const r of s.draft.refs) wanted.add(r);
    } else if (s.kind === "span") for (const id of s.settled.lineage) wanted.add(id);
  }
  const missing = [...wanted].filter((id) => !spans.has(id) && !asked.has(id));
  for (const id of missing) asked.add(id);
  return missing;
}

async function loadBests(tx: Transaction, projectId: string, runIds: readonly string[]): Promise<Map<string, BestRoot>> {
  const bests = new Map<string, BestRoot>();
  for (const part of chunks([...runIds], 200)) {
    const rs = await tx.execute({
      sql: `SELECT run_id, root_class, root_ended_at, root_trace_id, root_span_id FROM otlp_runs WHERE project_id = ? AND run_id IN (${part.map(() => "?").join(",")})`,
      args: [projectId, ...part],
    });
    for (const r of rs.rows) {
      bests.set(String(r.run_id), {
        rootClass: Number(r.root_class),
        endedAt: Number(r.root_ended_at),
        traceId: String(r.root_trace_id),
        spanId: String(r.root_span_id),
      });
    }
  }
  return bests;
}

async function loadScores(tx: Transaction, projectId: string, stepIds: readonly string[]): Promise<Map<string, Score[]>> {
  const scores = new Map<string, Score[]>();
  for (const part of chunks([...stepIds], 200)) {
    const rs = await tx.execute({
      sql: `SELECT step_id, id, name, value, label, explanation, origin, time FROM step_scores WHERE project_id = ? AND step_id IN (${part.map(() => "?").join(",")})`,
      args: [projectId, ...part],
    });
    for (const r of rs.rows) {
      const text = (v: unknown) => (v === null || v === undefined ? null : String(v));
      addScore(scores, String(r.step_id), {
        id: String(r.id),
        name: text(r.name),
        value: r.value === null ? null : Number(r.value),
        label: text(r.label),
        explanation: text(r.explanation),
        origin: r.origin === "log" ? "log" : "span",
        time: Number(r.time),
      });
    }
  }
  return scores;
}

function addScore(scores: Map<string, Score[]>, stepId: string, s: Score): void {
  let list = scores.get(stepId);
  if (!list) scores.set(stepId, (list = []));
  if (!list.some((x) => x.id === s.id)) list.push(s);
}

export function scoreRow(projectId: string, stepId: string, s: Score, receivedAt: number): InValue[] {
  return [projectId, stepId, s.id, s.name, s.value, s.label, s.explanation, s.origin, s.time, receivedAt];
}

export function scoreStatements(rows: InValue[][]): InStatement[] {
  return [...chunks(rows, 50)].map((part) =>
    multiRow(
      "INSERT INTO step_scores (project_id, step_id, id, name, value, label, explanation, origin, time, received_at) VALUES ",
      part,
      " ON CONFLICT DO NOTHING",
    ),
  );
}
