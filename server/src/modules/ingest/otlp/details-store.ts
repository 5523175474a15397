import type { Client } from "@libsql/client";
import { chunks } from "../../../platform/db/sql.js";
import type { SpanMeta } from "./span-meta.js";

/**
 * What OTLP brought about steps beyond their step events, for the run detail: every evaluation
 * score, the span's metadata (kind, status, attributes, resource, links) and the GenAI event
 * records attached by log records. Keyed by step id, so steps the SDK reported get the metadata
 * of the spans its OpenTelemetry helper made for them.
 */
export interface StepScoreView {
  name: string | null;
  value: number | null;
  label: string | null;
  explanation: string | null;
  /** "span" (a span event) or "log" (an OTLP log record). */
  origin: "span" | "log";
  time: string;
}

export interface StepRecordView {
  name: string;
  time: string;
  /** The record's attributes (and body), bounded. */
  body: unknown;
}

export interface StepExtras {
  scores: StepScoreView[];
  metadata: SpanMeta | null;
  records: StepRecordView[];
}

/** Per step, at most this many scores and records are returned (the newest). */
export const MAX_SCORES_PER_STEP = 100;
export const MAX_RECORDS_PER_STEP = 50;

export async function stepExtras(client: Client, projectId: string, stepIds: readonly string[]): Promise<Map<string, StepExtras>> {
  const out = new Map<string, StepExtras>();
  const get = (id: string) => {
    let e = out.get(id);
    if (!e) out.set(id, (e = { scores: [], metadata: null, records: [] }));
    return e;
  };
  const iso = (ms: unknown) => new Date(Number(ms)).toISOString();
  for (const part of chunks([...new Set(stepIds)], 200)) {
    const marks = part.map(() => "?").join(",");
    const [meta, scores, records] = await Promise.all([
      client.execute({
        sql: `SELECT step_id, meta FROM otlp_spans WHERE project_id = ? AND step_id IN (${marks}) AND meta IS NOT NULL`,
        args: [projectId, ...part],
      }),
      client.execute({
        sql: `SELECT step_id, name, value, label, explanation, origin, time FROM (
                SELECT *, row_number() OVER (PARTITION BY step_id ORDER BY time DESC, id) AS n FROM step_scores WHERE project_id = ? AND step_id IN (${marks}))
              WHERE n <= ${MAX_SCORES_PER_STEP} ORDER BY step_id, time, id`,
        args: [projectId, ...part],
      }),
      client.execute({
        sql: `SELECT step_id, name, time, body FROM (
                SELECT *, row_number() OVER (PARTITION BY step_id ORDER BY time DESC, id) AS n FROM step_records WHERE project_id = ? AND step_id IN (${marks}))
              WHERE n <= ${MAX_RECORDS_PER_STEP} ORDER BY step_id, time, id`,
        args: [projectId, ...part],
      }),
    ]);
    for (const r of meta.rows) get(String(r.step_id)).metadata = JSON.parse(String(r.meta)) as SpanMeta;
    for (const r of scores.rows) {
      const text = (v: unknown) => (v === null || v === undefined ? null : String(v));
      get(String(r.step_id)).scores.push({
        name: text(r.name),
        value: r.value === null ? null : Number(r.value),
        label: text(r.label),
        explanation: text(r.explanation),
        origin: r.origin === "log" ? "log" : "span",
        time: iso(r.time),
      });
    }
    for (const r of records.rows) get(String(r.step_id)).records.push({ name: String(r.name), time: iso(r.time), body: JSON.parse(String(r.body)) as unknown });
  }
  return out;
}
