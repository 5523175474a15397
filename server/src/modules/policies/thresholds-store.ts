import type { Client } from "@libsql/client";
import { uuidv7 } from "@seamtrace/sdk";
import { and, desc, eq, type SQL } from "drizzle-orm";
import type { CalibrationMap } from "../analytics/maths/isotonic.js";
import type { Db } from "../../platform/db/client.js";
import { calibrationMaps, thresholdChanges } from "./schema.js";
import { parseJson } from "../../platform/db/json.js";
import { enqueueWebhookStatement } from "../webhooks/store.js";
import { withWriteLock } from "../../platform/db/write-transaction.js";

/** Auto-tighten decisions with their evidence, and the recalibration maps served with policies. */

export interface ThresholdChangeView {
  id: string;
  workflow: string;
  step: string;
  version: string;
  /** `threshold` and `review-all` change minConfidence, `spot-check` spotCheckRate. */
  kind: ThresholdChangeKind;
  before: number | null;
  after: number;
  evidence: unknown;
  /** The precision of what passes, measured on labels since the change (null until measured). */
  outcome: unknown;
  policyRevision: number;
  status: "applied" | "reverted";
  createdAt: string;
  revertedAt: string | null;
  revertedBy: string | null;
}

export type ThresholdChangeKind = "threshold" | "review-all" | "spot-check";
/** The policy field a change of this kind sets. */
export const fieldOf = (kind: ThresholdChangeKind) => (kind === "spot-check" ? "spotCheckRate" : "minConfidence");

export interface NewThresholdChange {
  projectId: string;
  workflow: string;
  step: string;
  version: string;
  /** Default `threshold`. */
  kind?: ThresholdChangeKind;
  before: number | null;
  after: number;
  evidence: unknown;
  policyRevision: number;
  now: number;
}

/** Records an applied change and announces it (`threshold.changed`). */
export async function recordThresholdChange(client: Client, change: NewThresholdChange): Promise<string> {
  const id = uuidv7();
  const c = { ...change, kind: change.kind ?? "threshold" };
  await withWriteLock(client, async (tx) => {
    await tx.batch([
      {
        sql: `INSERT INTO threshold_changes (id, project_id, workflow, step, version, kind, before, after, evidence, policy_revision, status, created_at)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'applied', ?)`,
        args: [id, c.projectId, c.workflow, c.step, c.version, c.kind, c.before, c.after, JSON.stringify(c.evidence), c.policyRevision, c.now],
      },
      enqueueWebhookStatement(
        c.projectId,
        "threshold.changed",
        {
          changeId: id,
          workflow: c.workflow,
          step: c.step,
          version: c.version,
          kind: c.kind,
          field: fieldOf(c.kind),
          before: c.before,
          after: c.after,
          by: "system:auto-tighten",
        },
        c.now,
      ),
    ]);
    return { commit: true, value: undefined };
  });
  return id;
}

function view(r: typeof thresholdChanges.$inferSelect): ThresholdChangeView {
  return {
    id: r.id,
    workflow: r.workflow,
    step: r.step,
    version: r.version,
    kind: r.kind,
    before: r.before,
    after: r.after,
    evidence: parseJson(r.evidence),
    outcome: parseJson(r.outcome),
    policyRevision: r.policyRevision,
    status: r.status,
    createdAt: new Date(r.createdAt).toISOString(),
    revertedAt: r.revertedAt === null ? null : new Date(r.revertedAt).toISOString(),
    revertedBy: r.revertedBy,
  };
}

export async function listThresholdChanges(
  db: Db,
  projectId: string,
  q: { workflow?: string | undefined; step?: string | undefined; status?: "applied" | "reverted" | undefined; limit: number },
): Promise<ThresholdChangeView[]> {
  const where: Array<SQL | undefined> = [
    eq(thresholdChanges.projectId, projectId),
    q.workflow === undefined ? undefined : eq(thresholdChanges.workflow, q.workflow),
    q.step === undefined ? undefined : eq(thresholdChanges.step, q.step),
    q.status === undefined ? undefined : eq(thresholdChanges.status, q.status),
  ];
  const rows = await db
    .select()
    .from(thresholdChanges)
    .where(and(...where))
    .orderBy(desc(thresholdChanges.createdAt), desc(thresholdChanges.id))
    .limit(q.limit)
    .all();
  return rows.map(view);
}

export async function getThresholdChange(db: Db, projectId: string, id: string): Promise<ThresholdChangeView | null> {
  const row = await db
    .select()
    .from(thresholdChanges)
    .where(and(eq(thresholdChanges.projectId, projectId), eq(thresholdChanges.id, id)))
    .get();
  return row ? view(row) : null;
}

/** Stores what was measured after a change (replacing the last measurement). */
export async function setThresholdOutcome(client: Client, projectId: string, id: string, outcome: unknown): Promise<void> {
  await withWriteLock(client, async (tx) => {
    await tx.execute({ sql: "UPDATE threshold_changes SET outcome = ? WHERE project_id = ? AND id = ?", args: [JSON.stringify(outcome), projectId, id] });
    return { commit: true, value: undefined };
  });
}

/** Marks a change reverted; false when it was not (or no longer) applied. */
export async function markReverted(client: Client, projectId: string, id: string, actor: string, now: number): Promise<boolean> {
  return withWriteLock(client, async (tx) => {
    const rs = await tx.execute({
      sql: "UPDATE threshold_changes SET status = 'reverted', reverted_at = ?, reverted_by = ? WHERE project_id = ? AND id = ? AND status = 'applied'",
      args: [now, actor, projectId, id],
    });
    return { commit: rs.rowsAffected === 1, value: rs.rowsAffected === 1 };
  });
}

// --- recalibration maps ------------------------------------------------------------------------

export interface CalibrationMapView {
  workflow: string;
  step: string;
  version: string;
  x: number[];
  y: number[];
  labels: number;
  effectiveN: number;
  fittedAt: string;
}

export async function upsertCalibrationMap(
  client: Client,
  m: { projectId: string; workflow: string; step: string; version: string; map: CalibrationMap; labels: number; effectiveN: number; now: number },
  fence?: (tx: import("@libsql/client").Transaction) => Promise<void>,
): Promise<void> {
  await withWriteLock(client, async (tx) => {
    if (fence) await fence(tx);
    await tx.execute({
      sql: `INSERT INTO calibration_maps (project_id, workflow, step, version, map, labels, effective_n, fitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (project_id, workflow, step) DO UPDATE SET version = excluded.version, map = excluded.map, labels = excluded.labels,
              effective_n = excluded.effective_n, fitted_at = excluded.fitted_at`,
      args: [m.projectId, m.workflow, m.step, m.version, JSON.stringify(m.map), m.labels, m.effectiveN, m.now],
    });
    return { commit: true, value: undefined };
  });
}

/** Every map of a project (one per workflow step), in (workflow, step) order. */
export async function listCalibrationMaps(db: Db, projectId: string, workflow?: string): Promise<CalibrationMapView[]> {
  const where =
    workflow === undefined ? eq(calibrationMaps.projectId, projectId) : and(eq(calibrationMaps.projectId, projectId), eq(calibrationMaps.workflow, workflow));
  const rows = await db.select().from(calibrationMaps).where(where).orderBy(calibrationMaps.workflow, calibrationMaps.step).limit(10_000).all();
  return rows.map((r) => {
    const map = JSON.parse(r.map) as CalibrationMap;
    return {
      workflow: r.workflow,
      step: r.step,
      version: r.version,
      x: map.x,
      y: map.y,
      labels: r.labels,
      effectiveN: r.effectiveN,
      fittedAt: new Date(r.fittedAt).toISOString(),
    };
  });
}
