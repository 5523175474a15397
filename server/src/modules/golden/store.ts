import type { Client, InValue, Row } from "@libsql/client";
import { serializeGoldenSet, type GoldenCase, type GoldenSummary, type Regression } from "@seamtrace/golden";
import { uuidv7 } from "@seamtrace/sdk";
import type { GoldenResultBody, GoldenResultDetail, GoldenResultsCursor, GoldenResultSummary, GoldenSetView } from "./contract.js";
import type { Db } from "../../platform/db/client.js";
import { appendAudit } from "../audit/store.js";
import { iso, parseJson } from "../../platform/db/json.js";
import { withWriteLock } from "../../platform/db/write-transaction.js";
import { yieldToEventLoop } from "../../platform/yield.js";
import { STEP_EVENT_JOIN, stepPayload } from "../runs/step-payload.js";
import { runPayload, runPayloadColumns } from "../runs/run-payload.js";
import { idFromStored, storedId } from "../../platform/db/stored-id.js";
import { PROJECT_KEY } from "../../platform/db/project-key.js";

/** Golden results sent by `seamtrace golden run`, and golden cases made from reviews. */

// ---- Results.

export type InsertResultOutcome = { status: "created"; id: string } | { status: "duplicate"; id: string };

/**
 * Stores a result and its `golden.result` audit entry in one transaction. `duplicate` when the
 * executor's id is already a result of the project (stored once, whatever is resent).
 */
export async function insertGoldenResult(
  client: Client,
  input: { projectId: string; actor: string; body: GoldenResultBody; now: number },
): Promise<InsertResultOutcome> {
  const { projectId, actor, body, now } = input;
  const id = body.id ?? uuidv7();
  return withWriteLock<InsertResultOutcome>(client, async (tx) => {
    const existing = await tx.execute({ sql: "SELECT 1 FROM golden_results WHERE project_id = ? AND id = ?", args: [projectId, id] });
    if (existing.rows.length > 0) return { commit: false, value: { status: "duplicate", id } };
    await tx.execute({
      sql: `INSERT INTO golden_results (project_id, id, "set", set_version, workflow, version, started_at, finished_at, cases,
              end_to_end_accuracy, escalation_rate, regression_count, baseline_version, summary, regressions, comparison, actor, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      args: [
        projectId,
        id,
        body.set,
        body.setVersion,
        body.workflow,
        body.version,
        Date.parse(body.startedAt),
        Date.parse(body.finishedAt),
        body.summary.cases,
        body.summary.endToEndAccuracy,
        body.summary.escalationRate,
        body.regressions.length,
        body.baselineVersion ?? null,
        JSON.stringify(body.summary),
        JSON.stringify(body.regressions),
        body.comparison === undefined ? null : JSON.stringify(body.comparison),
        actor,
        now,
      ],
    });
    // The figures a reader compares versions by; the whole summary stays in the row.
    await appendAudit(tx, projectId, [
      {
        time: now,
        actor,
        action: "golden.result",
        subject: `golden-result:${id}`,
        payload: {
          id,
          set: body.set,
          setVersion: body.setVersion,
          workflow: body.workflow,
          version: body.version,
          cases: body.summary.cases,
          endToEndAccuracy: body.summary.endToEndAccuracy,
          escalationRate: body.summary.escalationRate,
          regressions: body.regressions.map((r) => r.what),
          baselineVersion: body.baselineVersion ?? null,
        },
      },
    ]);
    return { commit: true, value: { status: "created", id } };
  });
}

const SUMMARY_COLUMNS = `id, "set", set_version, workflow, version, started_at, finished_at, cases, end_to_end_accuracy, escalation_rate,
  regression_count, baseline_version, created_at, actor`;

function summaryView(r: Row): GoldenResultSummary {
  return {
    id: String(r[0]),
    set: String(r[1]),
    setVersion: String(r[2]),
    workflow: String(r[3]),
    version: String(r[4]),
    startedAt: iso(Number(r[5])),
    finishedAt: iso(Number(r[6])),
    cases: Number(r[7]),
    endToEndAccuracy: r[8] === null ? null : Number(r[8]),
    escalationRate: Number(r[9]),
    regressions: Number(r[10]),
    baselineVersion: r[11] === null ? null : String(r[11]),
    createdAt: iso(Number(r[12])),
    actor: String(r[13]),
  };
}

/** Newest first by (created_at, id), a page at a time. */
export async function listGoldenResults(
  db: Db,
  projectId: string,
  q: { workflow?: string | undefined; set?: string | undefined; limit: number; cursor?: GoldenResultsCursor | undefined },
): Promise<{ items: GoldenResultSummary[]; last: GoldenResultsCursor | null }> {
  const parts = ["project_id = ?"];
  const args: InValue[] = [projectId];
  if (q.workflow !== undefined) parts.push("workflow = ?"), args.push(q.workflow);
  if (q.set !== undefined) parts.push(`"set" = ?`), args.push(q.set);
  if (q.cursor !== undefined) parts.push("created_at <= ?", "(created_at < ? OR id < ?)"), args.push(q.cursor.createdAt, q.cursor.createdAt, q.cursor.id);
  const rs = await db.$client.execute({
    sql: `SELECT ${SUMMARY_COLUMNS} FROM golden_results WHERE ${parts.join(" AND ")} ORDER BY created_at DESC, id DESC LIMIT ?`,
    args: [...args, q.limit + 1],
  });
  const items = rs.rows.slice(0, q.limit).map(summaryView);
  const last = rs.rows.length > q.limit ? items[items.length - 1]! : null;
  return { items, last: last ? { createdAt: Date.parse(last.createdAt), id: last.id } : null };
}

/** A stored result as sent (the comparison null when there was none), without the runs of its cases. */
export async function getGoldenResult(db: Db, projectId: string, id: string): Promise<Omit<GoldenResultDetail, "caseRuns"> | null> {
  const rs = await db.$client.execute({
    sql: `SELECT ${SUMMARY_COLUMNS}, summary, regressions, comparison FROM golden_results WHERE project_id = ? AND id = ?`,
    args: [projectId, id],
  });
  const r = rs.rows[0];
  if (!r) return null;
  const { cases: _cases, endToEndAccuracy: _e, escalationRate: _r, regressions: _n, ...head } = summaryView(r);
  return {
    ...head,
    summary: parseJson<GoldenSummary>(String(r[14]))!,
    regressions: parseJson<Regression[]>(String(r[15])) ?? [],
    comparison: r[16] === null ? null : parseJson<NonNullable<GoldenResultDetail["comparison"]>>(String(r[16])),
  };
}

// ---- Cases from reviews.

export type AddCaseOutcome =
  | { status: "created"; id: string; caseId: string }
  | { status: "not_found" }
  | { status: "not_resolved" }
  /** Rejected: the reviewer said the output was wrong without saying what is right. */
  | { status: "no_expected_output" }
  /** Retention already removed the run's input and intermediate outputs. */
  | { status: "purged" }
  | { status: "duplicate"; caseId: string };

/** A case's id inside its set: one per escalation, readable in a report. */
export const caseIdFor = (escalationId: string) => `review-${escalationId}`;

/**
 * Makes the run of a resolved escalation a case of `set`: the run's input, and as expected
 * outputs the reviewed step's decided output and every other completed step's recorded output
 * (the last call of a name, as the executor compares it). A flag or spot check did not stop the
 * run, so when the reviewer corrected it, the steps after the reviewed one ran on the wrong value:
 * only the steps before it (and it) are expected then. Checked against the golden set format
 * before it is stored, and audited as `golden.case_added`, in one transaction.
 */
export async function addGoldenCase(
  client: Client,
  input: { projectId: string; actor: string; escalationId: string; set: string; now: number },
): Promise<AddCaseOutcome> {
  const { projectId, actor, escalationId, set, now } = input;
  return withWriteLock<AddCaseOutcome>(client, async (tx) => {
    const es = await tx.execute({
      sql: `SELECT run_id, step_id, step, status, decision, corrected_output, packet -> '$.output', kind FROM escalations WHERE project_id = ? AND id = ?`,
      args: [projectId, escalationId],
    });
    const e = es.rows[0];
    if (!e) return { commit: false, value: { status: "not_found" } };
    if (e[3] !== "resolved") return { commit: false, value: { status: "not_resolved" } };
    if (e[4] === "reject") return { commit: false, value: { status: "no_expected_output" } };
    const caseId = caseIdFor(escalationId);
    const dup = await tx.execute({
      sql: `SELECT 1 FROM golden_cases WHERE project_id = ? AND "set" = ? AND escalation_id = ?`,
      args: [projectId, set, escalationId],
    });
    if (dup.rows.length > 0) return { commit: false, value: { status: "duplicate", caseId } };

    const runId = String(e[0]);
    const run = await tx.execute({
      sql: `SELECT r.payloads_purged_at, ${runPayloadColumns("r")} FROM runs r WHERE r.project_key = ${PROJECT_KEY} AND r.id = ?`,
      args: [projectId, runId],
    });
    if (run.rows[0]?.[0] != null) return { commit: false, value: { status: "purged" } };
    const stopAtReviewed = e[7] !== "escalate" && e[4] === "correct";
    const steps = await tx.execute({
      // Outputs are in the body of each step's event (runs/step-payload.ts).
      sql: `SELECT s.id, s.name, ev.body FROM steps s ${STEP_EVENT_JOIN}
            WHERE s.project_key = ${PROJECT_KEY} AND s.run_id = ? AND s.status = 'completed' ORDER BY s.started_at, s.call, s.id`,
      args: [projectId, storedId(runId)],
    });
    const expected: Record<string, unknown> = {};
    for (const s of steps.rows) {
      if (idFromStored(s[0]) === String(e[1])) {
        if (stopAtReviewed) break;
        continue;
      }
      expected[String(s[1])] = stepPayload(s[2]).output;
    }
    expected[String(e[2])] = parseJson(String(e[4] === "correct" ? e[5] : e[6]));
    const c: GoldenCase = { id: caseId, input: run.rows[0] ? runPayload(run.rows[0], 1).input : null, expected, tags: ["from-review"] };
    // The set file's own checker: a case the executor would refuse is never stored.
    const line = serializeGoldenSet([c], { name: set }).trimEnd();
    const id = uuidv7();
    await tx.execute({
      sql: `INSERT INTO golden_cases (project_id, id, "set", case_id, escalation_id, run_id, body, actor, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      args: [projectId, id, set, caseId, escalationId, runId, line, actor, now],
    });
    await appendAudit(tx, projectId, [
      {
        time: now,
        actor,
        action: "golden.case_added",
        subject: `golden-set:${set}`,
        runId,
        payload: { id, set, caseId, escalationId, steps: Object.keys(expected) },
      },
    ]);
    return { commit: true, value: { status: "created", id, caseId } };
  });
}

/** The project's sets by name, with their case counts. */
export async function listGoldenSets(db: Db, projectId: string): Promise<GoldenSetView[]> {
  const rs = await db.$client.execute({
    sql: `SELECT "set", count(*), max(created_at) FROM golden_cases WHERE project_id = ? GROUP BY "set" ORDER BY "set"`,
    args: [projectId],
  });
  return rs.rows.map((r) => ({ set: String(r[0]), cases: Number(r[1]), updatedAt: iso(Number(r[2])) }));
}

export async function goldenSetExists(db: Db, projectId: string, set: string): Promise<boolean> {
  const rs = await db.$client.execute({ sql: `SELECT 1 FROM golden_cases WHERE project_id = ? AND "set" = ? LIMIT 1`, args: [projectId, set] });
  return rs.rows.length > 0;
}

/** The set's cases as golden set file lines (with their newline), in the order they were added, a page at a time. */
export async function* streamGoldenCases(client: Client, projectId: string, set: string, pageSize = 500): AsyncGenerator<string> {
  let after = { time: Number.MIN_SAFE_INTEGER, id: "" };
  for (;;) {
    const rs = await client.execute({
      sql: `SELECT body, created_at, id FROM golden_cases WHERE project_id = ? AND "set" = ? AND created_at >= ? AND (created_at > ? OR id > ?)
            ORDER BY created_at, id LIMIT ?`,
      args: [projectId, set, after.time, after.time, after.id, pageSize],
    });
    for (const r of rs.rows) yield `${String(r[0])}\n`;
    if (rs.rows.length < pageSize) return;
    const last = rs.rows[rs.rows.length - 1]!;
    after = { time: Number(last[1]), id: String(last[2]) };
    await yieldToEventLoop();
  }
}
