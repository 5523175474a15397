import { uuidv7 } from "@seamtrace/sdk";
import { asc, eq } from "drizzle-orm";
import type { Db } from "../../platform/db/client.js";
import { projects } from "./schema.js";
import { appendAudit } from "../audit/store.js";
import { execIn } from "../../platform/db/sql.js";
import { withWriteLock } from "../../platform/db/write-transaction.js";

export interface Project {
  id: string;
  name: string;
  createdAt: number;
}

/** Creates a project; its audit chain starts with the creation. */
export async function createProject(db: Db, name: string, now = Date.now(), actor = "system:cli"): Promise<Project> {
  const project = { id: uuidv7(), name, createdAt: now };
  await withWriteLock(db.$client, async (tx) => {
    await execIn(tx, db.insert(projects).values(project));
    await appendAudit(tx, project.id, [{ time: now, actor, action: "project.created", subject: `project:${project.id}`, payload: { name } }]);
    return { commit: true, value: undefined };
  });
  return project;
}

export async function getProjectByName(db: Db, name: string): Promise<Project | undefined> {
  return db.select().from(projects).where(eq(projects.name, name)).get();
}

export async function listProjects(db: Db): Promise<Project[]> {
  return db.select().from(projects).orderBy(asc(projects.createdAt)).limit(1000).all();
}
