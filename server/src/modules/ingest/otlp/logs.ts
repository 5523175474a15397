import type { InStatement, InValue, Transaction } from "@libsql/client";
import { checkJsonLimits } from "../../../platform/http/json-limits.js";
import { chunks, multiRow } from "../../../platform/db/sql.js";
import type { ItemLimits } from "../contract.js";
import { attributeMap, bound, cut, str, toValue } from "./attributes.js";
import { otlpLogRecordSchema, type OtlpLogsRequest } from "./contract.js";
import { hashedUuid, stepIdFor } from "./ids.js";
import { describe, rawDepth } from "./map-spans.js";
import { scoreOf, type Score } from "./span-draft.js";
import { MAX_VALUE } from "./span-meta.js";
import { scoreRow, scoreStatements } from "./trace-store.js";

/**
 * OTLP log records carrying GenAI events (`gen_ai.evaluation.result`, `gen_ai.choice`,
 * `gen_ai.client.inference.operation.details`, …), attached to the step of the span they name by
 * trace and span id. They are stored under that step whether the span has arrived or not, so
 * either may come first: an evaluation stored before its span settles can be its confidence
 * (`confidenceFrom`); one that comes after is kept as a score of the step.
 */
export interface MappedRecord {
  traceId: string;
  spanId: string;
  score?: Score;
  record?: { id: string; name: string; time: number; body: string };
}

export interface LogsMapResult {
  records: MappedRecord[];
  rejected: number;
  errors: string[];
}

const MS_PER_NS = 1_000_000n;
const MAX_DATE_MS = 8.64e15;

export function mapLogsRequest(request: OtlpLogsRequest, limits: ItemLimits): LogsMapResult {
  const errors: string[] = [];
  const records: MappedRecord[] = [];
  const guard = { maxStringLength: Number.MAX_SAFE_INTEGER, maxDepth: rawDepth(limits) };
  let index = 0;
  for (const rl of request.resourceLogs ?? []) {
    for (const sl of rl.scopeLogs ?? []) {
      for (const raw of sl.logRecords ?? []) {
        const i = index++;
        const deep = checkJsonLimits(raw, guard);
        if (deep) {
          errors.push(`log record ${i}: ${deep.message}`);
          continue;
        }
        const parsed = otlpLogRecordSchema.safeParse(raw);
        if (!parsed.success) {
          errors.push(`log record ${i}: ${describe(parsed.error)}`);
          continue;
        }
        const r = parsed.data;
        const attrs = attributeMap(r.attributes);
        const name = (r.eventName || str(attrs.get("event.name")) || "").slice(0, 256);
        if (!name.startsWith("gen_ai.")) {
          errors.push(`log record ${i}: not a GenAI event (its event name must start with "gen_ai."): Seamtrace keeps GenAI event records only`);
          continue;
        }
        if (!r.traceId || !r.spanId) {
          errors.push(`log record ${i}: a GenAI event record needs the traceId and spanId of the span it belongs to`);
          continue;
        }
        const nanos = r.timeUnixNano && r.timeUnixNano !== "0" ? r.timeUnixNano : r.observedTimeUnixNano;
        const time = nanos !== undefined ? Math.min(Number(BigInt(nanos) / MS_PER_NS), MAX_DATE_MS - 1) : 0;
        // The record as sent names it: a resent export stores it once.
        const id = hashedUuid("otlp-log", r.traceId, r.spanId, JSON.stringify(raw));
        const mapped: MappedRecord = { traceId: r.traceId, spanId: r.spanId };
        if (name === "gen_ai.evaluation.result") mapped.score = scoreOf(attrs, { id, time, origin: "log" }, limits);
        else {
          const body: Record<string, unknown> = { attributes: bound(Object.fromEntries(attrs), { maxString: MAX_VALUE * 16, maxDepth: 6 }) };
          const value = toValue(r.body);
          if (value !== null) body.body = bound(value, { maxString: MAX_VALUE * 16, maxDepth: 6 });
          mapped.record = { id, name: cut(name, 256), time, body: JSON.stringify(body) };
        }
        records.push(mapped);
      }
    }
  }
  return { records, rejected: errors.length, errors };
}

/**
 * Stores the records under their steps. A record naming a span the SDK's helper made goes to the
 * SDK step that span stands for.
 */
export async function storeRecords(tx: Transaction, projectId: string, now: number, records: readonly MappedRecord[]): Promise<void> {
  const reported = await reportedSteps(tx, projectId, records);
  const scores: InValue[][] = [];
  const rows: InValue[][] = [];
  for (const m of records) {
    const stepId = reported.get(`${m.traceId} ${m.spanId}`) ?? stepIdFor(m.traceId, m.spanId);
    if (m.score) scores.push(scoreRow(projectId, stepId, m.score, now));
    if (m.record) rows.push([projectId, stepId, m.record.id, m.record.name, m.record.time, m.record.body, now]);
  }
  const stmts: InStatement[] = [...scoreStatements(scores)];
  for (const part of chunks(rows, 50)) {
    stmts.push(multiRow("INSERT INTO step_records (project_id, step_id, id, name, time, body, received_at) VALUES ", part, " ON CONFLICT DO NOTHING"));
  }
  if (stmts.length > 0) await tx.batch(stmts);
}

async function reportedSteps(tx: Transaction, projectId: string, records: readonly MappedRecord[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const pairs = [...new Map(records.map((m) => [`${m.traceId} ${m.spanId}`, m])).values()];
  for (const part of chunks(pairs, 100)) {
    const rs = await tx.execute({
      sql: `SELECT trace_id, span_id, step_id FROM otlp_spans WHERE project_id = ? AND kind = 'reported' AND step_id IS NOT NULL AND (trace_id, span_id) IN (VALUES ${part.map(() => "(?, ?)").join(", ")})`,
      args: [projectId, ...part.flatMap((m) => [m.traceId, m.spanId])],
    });
    for (const r of rs.rows) found.set(`${String(r.trace_id)} ${String(r.span_id)}`, String(r.step_id));
  }
  return found;
}
