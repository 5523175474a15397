import { uuidv7 } from "@seamtrace/sdk";
import { and, eq } from "drizzle-orm";
import type { Db } from "../src/platform/db/client.js";
import { runs, steps, workflows } from "../src/modules/runs/schema.js";
import { hourOf, recountStatements } from "../src/modules/runs/run-hours.js";
import { storedId } from "../src/platform/db/stored-id.js";
import { ensureProjectKey } from "../src/platform/db/project-key.js";

// Rows written straight into the projections, not through POST /v1/events, so query tests
// pin the reads alone and can set any state (ties, old runs, broken lineage) directly.

export const FIXTURE_NOW = Date.parse("2025-06-15T12:00:00.000Z");
export const DAY = 86_400_000;

/** The project's workflow of that name, created (100 days before FIXTURE_NOW) when missing. */
export async function seedWorkflow(db: Db, projectId: string, name: string): Promise<string> {
  const found = await db
    .select({ id: workflows.id })
    .from(workflows)
    .where(and(eq(workflows.projectId, projectId), eq(workflows.name, name)))
    .get();
  if (found) return found.id;
  const id = uuidv7();
  await db.insert(workflows).values({ id, projectId, name, createdAt: FIXTURE_NOW - 100 * DAY });
  return id;
}

export type RunSeed = Partial<typeof runs.$inferInsert> & { projectId: string };

/** A run of `claims@3`, completed, started a day before FIXTURE_NOW unless told otherwise. */
export async function seedRun(db: Db, seed: RunSeed): Promise<string> {
  const workflow = seed.workflow ?? "claims";
  const id = seed.id ?? uuidv7();
  const { projectId, ...columns } = seed;
  const projectKey = await ensureProjectKey(db.$client, projectId);
  await db.insert(runs).values({
    id,
    workflowId: await seedWorkflow(db, projectId, workflow),
    workflow,
    version: "3",
    status: "completed",
    startedAt: FIXTURE_NOW - DAY,
    updatedAt: FIXTURE_NOW,
    ...columns,
    projectKey,
  });
  // The hourly counts the projector keeps with every run it writes (store/run-hours.ts).
  const row = await db
    .select({ startedAt: runs.startedAt })
    .from(runs)
    .where(and(eq(runs.projectKey, projectKey), eq(runs.id, id)))
    .get();
  for (const st of recountStatements([{ projectId: seed.projectId, workflow, hour: hourOf(row!.startedAt) }])) await db.$client.execute(st);
  return id;
}

/** The payloads of a step, as JSON text (reasoning as plain text): they go into the body of the step's event. */
const PAYLOADS = ["parents", "input", "output", "reasoning", "alternatives", "features", "attemptErrors", "error", "gate"] as const;
type StepPayloadSeed = Partial<Record<(typeof PAYLOADS)[number], string | null>>;

export type StepSeed = Partial<typeof steps.$inferInsert> & StepPayloadSeed & { id: string; name: string };

/**
 * A completed, inferred step without parents. Its payloads (JSON text, as the ingest would have
 * serialised them) go into the body of an event row it points at, which is where the store keeps
 * them; the other fields into the steps row.
 */
export async function seedStep(db: Db, projectId: string, runId: string, step: StepSeed): Promise<void> {
  const row: Partial<typeof steps.$inferInsert> & { id: string; name: string } = { ...step };
  const body: Record<string, unknown> = {
    id: uuidv7(),
    type: step.status === "failed" ? "step.failed" : "step.completed",
    runId,
    stepId: step.id,
    step: step.name,
  };
  body.parents = [];
  for (const k of PAYLOADS) {
    const v = step[k];
    delete (row as Record<string, unknown>)[k];
    if (v === undefined || v === null) continue;
    body[k] = k === "reasoning" ? v : JSON.parse(v);
  }
  const endedAt = step.endedAt ?? FIXTURE_NOW - DAY + 10;
  body.time = new Date(endedAt).toISOString();
  // The event stands for one the projector already folded: the cursor moves past it, unless
  // events the test sent are still waiting (they are folded first; then this one would be too).
  const head = await db.$client.execute(
    "SELECT (SELECT coalesce(max(seq), 0) FROM events), (SELECT coalesce(max(position), 0) FROM projections WHERE name = 'runs')",
  );
  const caughtUp = Number(head.rows[0]![1]) >= Number(head.rows[0]![0]);
  const projectKey = await ensureProjectKey(db.$client, projectId);
  const rs = await db.$client.execute({
    sql: "INSERT INTO events (project_key, id, type, run_id, time, received_at, body) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq",
    args: [projectKey, storedId(String(body.id)), String(body.type), storedId(runId), endedAt, endedAt, JSON.stringify(body)],
  });
  await db.insert(steps).values({
    projectKey,
    runId,
    status: "completed",
    source: "inferred",
    stale: false,
    attempts: 1,
    durationMs: 10,
    startedAt: FIXTURE_NOW - DAY,
    endedAt,
    eventSeq: Number(rs.rows[0]![0]),
    ...row,
  });
  if (caughtUp) {
    await db.$client.execute({
      sql: "INSERT INTO projections (name, position, updated_at) VALUES ('runs', ?, 0) ON CONFLICT (name) DO UPDATE SET position = excluded.position",
      args: [Number(rs.rows[0]![0])],
    });
  }
}
