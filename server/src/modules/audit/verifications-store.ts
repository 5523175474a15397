import type { Client, Row } from "@libsql/client";
import { uuidv7 } from "@seamtrace/sdk";
import type { AuditVerificationView, VerificationStatus } from "./contract.js";
import type { VerifyReport } from "./report.js";
import { iso, isoOrNull, parseJson } from "../../platform/db/json.js";
import { withWriteLock } from "../../platform/db/write-transaction.js";
import { projectKeySql } from "../../platform/db/project-key.js";

/** SQL of background chain verifications (the audit_verifications table; audit-verifier.ts runs them). */

const COLUMNS = "id, status, requested_by, started_at, updated_at, finished_at, up_to, checked, report, error";

/**
 * Starts a verification of `projectId`'s chain, or finds the one already running there (a second
 * request joins it rather than starting another walk over the whole chain). A running row whose
 * heartbeat is older than `staleMs` belonged to a process that went away: it is marked abandoned
 * and a new one starts. `upTo` covers the head and the last checkpoint, so a truncated tail (a
 * checkpoint past the last entry) is still seen.
 */
export async function startVerification(
  client: Client,
  input: { projectId: string; actor: string; now: number; staleMs: number },
): Promise<{ row: AuditVerificationView; created: boolean }> {
  const { projectId, actor, now, staleMs } = input;
  return withWriteLock<{ row: AuditVerificationView; created: boolean }>(client, async (tx) => {
    await tx.execute({
      sql: "UPDATE audit_verifications SET status = 'abandoned', finished_at = updated_at WHERE project_id = ? AND status = 'running' AND updated_at < ?",
      args: [projectId, now - staleMs],
    });
    const running = await tx.execute({ sql: `SELECT ${COLUMNS} FROM audit_verifications WHERE project_id = ? AND status = 'running'`, args: [projectId] });
    if (running.rows[0]) return { commit: true, value: { row: view(running.rows[0], now, staleMs), created: false } };
    const bounds = await tx.execute({
      sql: `SELECT max(coalesce((SELECT max(seq) FROM audit_log WHERE project_key = ${projectKeySql("?1")}), 0), coalesce((SELECT max(seq) FROM audit_checkpoints WHERE project_id = ?1), 0))`,
      args: [projectId],
    });
    const upTo = Number(bounds.rows[0]![0]);
    const id = uuidv7();
    await tx.execute({
      sql: "INSERT INTO audit_verifications (id, project_id, requested_by, status, started_at, updated_at, up_to, checked) VALUES (?, ?, ?, 'running', ?, ?, ?, 0)",
      args: [id, projectId, actor, now, now, upTo],
    });
    const row: AuditVerificationView = {
      id,
      status: "running",
      requestedBy: actor,
      startedAt: iso(now),
      updatedAt: iso(now),
      finishedAt: null,
      upTo,
      checked: 0,
      report: null,
      error: null,
    };
    return { commit: true, value: { row, created: true } };
  });
}

/** Progress and heartbeat of a running verification. */
export async function recordVerificationProgress(client: Client, id: string, checked: number, now: number): Promise<void> {
  await withWriteLock(client, async (tx) => {
    await tx.execute({ sql: "UPDATE audit_verifications SET checked = ?, updated_at = ? WHERE id = ? AND status = 'running'", args: [checked, now, id] });
    return { commit: true, value: undefined };
  });
}

export async function finishVerification(
  client: Client,
  id: string,
  outcome: { report: VerifyReport } | { error: string; checked: number },
  now: number,
): Promise<void> {
  const [status, checked, report, error]: [VerificationStatus, number, string | null, string | null] =
    "report" in outcome
      ? [outcome.report.ok ? (outcome.report.unanchored ? "unanchored" : "passed") : "broken", outcome.report.entries, JSON.stringify(outcome.report), null]
      : ["failed", outcome.checked, null, outcome.error];
  await withWriteLock(client, async (tx) => {
    await tx.execute({
      sql: "UPDATE audit_verifications SET status = ?, checked = ?, report = ?, error = ?, updated_at = ?, finished_at = ? WHERE id = ? AND status = 'running'",
      args: [status, checked, report, error, now, now, id],
    });
    return { commit: true, value: undefined };
  });
}

export async function getVerification(client: Client, projectId: string, id: string, now: number, staleMs: number): Promise<AuditVerificationView | null> {
  const rs = await client.execute({ sql: `SELECT ${COLUMNS} FROM audit_verifications WHERE project_id = ? AND id = ?`, args: [projectId, id] });
  return rs.rows[0] ? view(rs.rows[0], now, staleMs) : null;
}

/** The project's newest verifications first. */
export async function listVerifications(client: Client, projectId: string, limit: number, now: number, staleMs: number): Promise<AuditVerificationView[]> {
  const rs = await client.execute({
    sql: `SELECT ${COLUMNS} FROM audit_verifications WHERE project_id = ? ORDER BY started_at DESC, id DESC LIMIT ?`,
    args: [projectId, limit],
  });
  return rs.rows.map((r) => view(r, now, staleMs));
}

function view(r: Row, now: number, staleMs: number): AuditVerificationView {
  const stored = String(r[1]) as VerificationStatus;
  const updatedAt = Number(r[4]);
  // Nobody has refreshed it for a while: the process running it is gone.
  const status: VerificationStatus = stored === "running" && updatedAt < now - staleMs ? "abandoned" : stored;
  return {
    id: String(r[0]),
    status,
    requestedBy: String(r[2]),
    startedAt: iso(Number(r[3])),
    updatedAt: iso(updatedAt),
    finishedAt: status === "abandoned" && r[5] === null ? iso(updatedAt) : isoOrNull(r[5] === null ? null : Number(r[5])),
    upTo: Number(r[6]),
    checked: Number(r[7]),
    report: parseJson<VerifyReport>(r[8] === null ? null : String(r[8])),
    error: r[9] === null ? null : String(r[9]),
  };
}
