import { uuidv7 } from "@seamtrace/sdk";
import { and, eq } from "drizzle-orm";
import type { Db } from "../src/platform/db/client.js";
import { runs, steps, workflows } from "../src/modules/runs/schema.js";
import { hourOf, recountStatements } from "../src/modules/runs/run-hours.js";

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
  await db.insert(runs).values({
    id,
    workflowId: await seedWorkflow(db, seed.projectId, workflow),
    workflow,
    version: "3",
    status: "completed",
    startedAt: FIXTURE_NOW - DAY,
    updatedAt: FIXTURE_NOW,
    ...seed,
  });
  // The hourly counts the projector keeps with every run it writes (store/run-hours.ts).
  const row = await db
    .select({ startedAt: runs.startedAt })
    .from(runs)
    .where(and(eq(runs.projectId, seed.projectId), eq(runs.id, id)))
    .get();
  for (const st of recountStatements([{ projectId: seed.projectId, workflow, hour: hourOf(row!.startedAt) }])) await db.$client.execute(st);
  return id;
}

export type StepSeed = Partial<typeof steps.$inferInsert> & { id: string; name: string };

/** A completed, inferred step without parents; JSON columns take JSON text, as the ingest writes. */
export async function seedStep(db: Db, projectId: string, runId: string, step: StepSeed): Promise<void> {
  await db.insert(steps).values({
    projectId,
    runId,
    status: "completed",
    parents: "[]",
    source: "inferred",
    stale: false,
    attempts: 1,
    durationMs: 10,
    startedAt: FIXTURE_NOW - DAY,
    endedAt: FIXTURE_NOW - DAY + 10,
    ...step,
  });
}
