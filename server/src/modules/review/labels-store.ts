import type { Client, InValue } from "@libsql/client";
import { uuidv7 } from "@seamtrace/sdk";
import { and, eq } from "drizzle-orm";
import type { FeedbackLabel, LabelSource, LabelView } from "./contract.js";
import type { Db } from "../../platform/db/client.js";
import { labels } from "./schema.js";
import { chunks, multiRow } from "../../platform/db/sql.js";
import { appendAudit, type AuditRecord } from "../audit/store.js";
import { withWriteLock } from "../../platform/db/write-transaction.js";
import { idFromStored, idTextSql, storedId } from "../../platform/db/stored-id.js";
import { PROJECT_KEY } from "../../platform/db/project-key.js";

/**
 * Labels: ground truth for step outputs. Reviews write theirs with the decision
 * (store/escalations.ts); this file reads them and takes late feedback from the API.
 */

const LABEL_ROWS_PER_STATEMENT = 50;

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toView(r: typeof labels.$inferSelect): LabelView {
  return {
    id: r.id,
    runId: r.runId,
    stepId: r.stepId,
    workflow: r.workflow,
    version: r.version,
    step: r.step,
    source: r.source as LabelSource,
    correct: r.correct,
    value: parseJson(r.value),
    confidence: r.confidence,
    samplingRate: r.samplingRate,
    escalationId: r.escalationId,
    actor: r.actor,
    reason: r.reason,
    createdAt: new Date(r.createdAt).toISOString(),
  };
}

export async function getLabel(db: Db, projectId: string, id: string): Promise<LabelView | null> {
  const row = await db
    .select()
    .from(labels)
    .where(and(eq(labels.projectId, projectId), eq(labels.id, id)))
    .get();
  return row ? toView(row) : null;
}

/** The labels of one step, oldest first (bounded: a step collects a handful). */
export async function listStepLabels(db: Db, projectId: string, stepId: string): Promise<LabelView[]> {
  const rows = await db
    .select()
    .from(labels)
    .where(and(eq(labels.projectId, projectId), eq(labels.stepId, stepId)))
    .orderBy(labels.createdAt, labels.id)
    .limit(1_000)
    .all();
  return rows.map(toView);
}

/** Per feedback item: the new label's id, or why it was refused. */
export type FeedbackOutcome = { id: string } | { code: "unknown_step" | "golden_run"; message: string };

/**
 * Stores late feedback (source `feedback`) in one transaction. A label must name a step of the
 * caller's project and its run; anything else is `unknown_step`, the same answer whether the
 * step does not exist or belongs to another project, so ids of other projects cannot be probed.
 * The label keeps the step's workflow, version, name and confidence, for calibration.
 */
export async function insertFeedbackLabels(
  client: Client,
  input: { projectId: string; actor: string; items: readonly FeedbackLabel[]; now: number },
): Promise<FeedbackOutcome[]> {
  if (input.items.length === 0) return [];
  return withWriteLock(client, async (tx) => {
    const found = new Map<string, { runId: string; workflow: string; version: string; step: string; confidence: number | null; golden: boolean }>();
    const ids = [...new Set(input.items.map((i) => i.stepId))];
    for (const part of chunks(ids, 500)) {
      const rs = await tx.execute({
        sql: `SELECT s.id, s.run_id, s.name, s.confidence, r.workflow, r.version, r.golden_result
              FROM steps s JOIN runs r ON r.project_key = s.project_key AND r.id = ${idTextSql("s.run_id")}
              WHERE s.project_key = ${PROJECT_KEY} AND s.id IN (${part.map(() => "?").join(",")})`,
        args: [input.projectId, ...part.map(storedId)],
      });
      for (const r of rs.rows) {
        found.set(idFromStored(r.id), {
          runId: idFromStored(r.run_id),
          workflow: String(r.workflow),
          version: String(r.version),
          step: String(r.name),
          confidence: r.confidence === null ? null : Number(r.confidence),
          golden: r.golden_result !== null,
        });
      }
    }
    const rows: InValue[][] = [];
    const audit: AuditRecord[] = [];
    const outcomes = input.items.map((item): FeedbackOutcome => {
      const step = found.get(item.stepId);
      if (!step || step.runId !== item.runId) {
        return { code: "unknown_step", message: "no step with this id in this run" };
      }
      // Its ground truth is the golden set; a label would put an evaluation into calibration.
      if (step.golden)
        return {
          code: "golden_run",
          message: "the step belongs to a golden-set evaluation run, which calibration leaves out: its expected output is in the set",
        };
      const id = uuidv7();
      rows.push([
        input.projectId,
        id,
        item.runId,
        item.stepId,
        step.workflow,
        step.version,
        step.step,
        "feedback",
        item.correct === undefined ? null : item.correct ? 1 : 0,
        item.value === undefined ? null : JSON.stringify(item.value),
        step.confidence,
        null,
        null,
        input.actor,
        item.reason ?? null,
        input.now,
      ]);
      audit.push({
        time: input.now,
        actor: input.actor,
        action: "label.created",
        subject: `step:${item.stepId}`,
        runId: item.runId,
        payload: { labelId: id, source: "feedback", correct: item.correct ?? null, value: item.value ?? null, reason: item.reason ?? null },
      });
      return { id };
    });
    for (const part of chunks(rows, LABEL_ROWS_PER_STATEMENT)) {
      await tx.execute(
        multiRow(
          `INSERT INTO labels (project_id, id, run_id, step_id, workflow, version, step, source, correct, value, confidence,
             sampling_rate, escalation_id, actor, reason, created_at) VALUES `,
          part,
          "",
        ),
      );
    }
    await appendAudit(tx, input.projectId, audit);
    return { commit: rows.length > 0, value: outcomes };
  });
}
