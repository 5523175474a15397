import type { InValue } from "@libsql/client";
import type { AuditEntryView, AuditExportRow } from "./contract.js";
import type { TimeWindow } from "../runs/contract.js";
import type { Db } from "../../platform/db/client.js";
import { parseJson } from "../../platform/db/json.js";
import { sha256Hex, type StoredEntry } from "./chain.js";
import { yieldToEventLoop } from "../../platform/yield.js";
import { payloadText } from "./payload-check.js";
import { ENTRY_COLUMNS, entryFromRow, EVENT_OF_ENTRY } from "./store.js";
import { storedId, storedRef } from "../../platform/db/stored-id.js";
import { PROJECT_KEY } from "../../platform/db/project-key.js";

export interface AuditFilter {
  runId?: string | undefined;
  actor?: string | undefined;
  action?: string | undefined;
  window: TimeWindow;
}

function where(projectId: string, f: AuditFilter): { sql: string; args: InValue[] } {
  const parts = [`a.project_key = ${PROJECT_KEY}`, "a.time >= ?", "a.time < ?"];
  const args: InValue[] = [projectId, f.window.from, f.window.to];
  if (f.runId !== undefined) parts.push("a.run_id = ?"), args.push(storedId(f.runId));
  if (f.actor !== undefined) parts.push("a.actor = ?"), args.push(storedRef(f.actor));
  if (f.action !== undefined) parts.push("a.action = ?"), args.push(f.action);
  return { sql: parts.join(" AND "), args };
}

function view(e: StoredEntry): AuditEntryView {
  return {
    seq: e.seq,
    time: new Date(e.time).toISOString(),
    actor: e.actor,
    action: e.action,
    subject: e.subject,
    runId: e.runId,
    payloadHash: e.payloadHash,
    hash: e.hash,
  };
}

/** Keyset position in (time, seq) order: the last item of the previous page. */
export interface AuditCursor {
  time: number;
  seq: number;
}

/** Entries newest first, in (time, seq) order, which the time index serves without a sort. */
/**
 * The entries table, with the index a run's entries are found by when the filter names a run.
 * Without ANALYZE statistics SQLite prefers audit_log_time_seq_idx (already in ORDER BY order)
 * and filters on run_id: every entry in the window is read to find a run's dozen (linear in the
 * store; measured ~230 ms at 90k events, test/reliability/scale.test.ts). A likelihood() hint
 * does not move it off that index here, so the run's index is named; a run's entries are few,
 * and sorting them is cheap. Checked by EXPLAIN in routes/audit.test.ts.
 */
function from(f: AuditFilter): string {
  return f.runId !== undefined ? "audit_log a INDEXED BY audit_log_run_idx" : "audit_log a";
}

/** The list query, unexecuted, so tests can EXPLAIN it. Fetches `limit + 1`: the extra row says whether a next page exists. */
export function auditListQuery(projectId: string, filter: AuditFilter & { limit: number; before?: AuditCursor | undefined }): { sql: string; args: InValue[] } {
  const w = where(projectId, filter);
  if (filter.before !== undefined)
    (w.sql += " AND (a.time < ? OR (a.time = ? AND a.seq < ?))"), w.args.push(filter.before.time, filter.before.time, filter.before.seq);
  return { sql: `SELECT ${ENTRY_COLUMNS} FROM ${from(filter)} WHERE ${w.sql} ORDER BY a.time DESC, a.seq DESC LIMIT ?`, args: [...w.args, filter.limit + 1] };
}

export async function listAudit(
  db: Db,
  projectId: string,
  filter: AuditFilter & { limit: number; before?: AuditCursor | undefined },
): Promise<{ items: AuditEntryView[]; last: AuditCursor | null }> {
  const rs = await db.$client.execute(auditListQuery(projectId, filter));
  const items = rs.rows.slice(0, filter.limit).map((r) => view(entryFromRow(projectId, r)));
  const last = rs.rows.length > filter.limit ? rs.rows[filter.limit - 1]! : null;
  return { items, last: last ? { time: Number(last[1]), seq: Number(last[0]) } : null };
}

/**
 * Every matching entry oldest first (time, then seq), with its payload while retention keeps it: from
 * audit_payloads, or the event's stored body for event entries. Read a page at a time
 * (keyset on time and seq), so an export of any size holds one page in memory.
 */
export async function* streamAudit(db: Db, projectId: string, filter: AuditFilter, pageSize = 1_000): AsyncGenerator<AuditExportRow> {
  let after: AuditCursor = { time: -1, seq: 0 };
  for (;;) {
    const w = where(projectId, filter);
    w.sql += " AND (a.time > ? OR (a.time = ? AND a.seq > ?))";
    w.args.push(after.time, after.time, after.seq);
    const rs = await db.$client.execute({
      sql: `SELECT ${ENTRY_COLUMNS}, coalesce(p.body, e.body) FROM ${from(filter)}
            LEFT JOIN audit_payloads p ON p.project_key = a.project_key AND p.seq = a.seq
            LEFT JOIN events e ON ${EVENT_OF_ENTRY}
            WHERE ${w.sql} ORDER BY a.time, a.seq LIMIT ?`,
      args: [...w.args, pageSize],
    });
    for (const r of rs.rows) {
      const body = payloadText(r[8]);
      const entry = view(entryFromRow(projectId, r));
      // A payload that no longer hashes to its entry (edited, or reduced by retention) is marked
      // rather than served as the record.
      yield { ...entry, payload: body === null ? null : parseJson(body), payloadIntact: body === null ? null : sha256Hex(body) === entry.payloadHash };
    }
    if (rs.rows.length < pageSize) return;
    const last = rs.rows[rs.rows.length - 1]!;
    after = { time: Number(last[1]), seq: Number(last[0]) };
    await yieldToEventLoop();
  }
}

export const CSV_COLUMNS = ["seq", "time", "actor", "action", "subject", "runId", "payloadHash", "hash", "payload", "payloadIntact"] as const;

/** RFC 4180 field: quoted when it holds a comma, quote or line break. Leading =+-@ are prefixed so a spreadsheet never runs them as formulas. */
export function csvField(value: unknown): string {
  let s = value === null || value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function csvRow(row: AuditExportRow): string {
  return CSV_COLUMNS.map((c) => csvField(row[c])).join(",") + "\r\n";
}
