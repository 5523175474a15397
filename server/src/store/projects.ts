import { uuidv7 } from "@seamtrace/sdk";
import { asc, eq } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { projects } from "../db/schema.js";
import { queuedWrite } from "./write-transaction.js";

export interface Project {
  id: string;
  name: string;
  createdAt: number;
}

export async function createProject(db: Db, name: string, now = Date.now()): Promise<Project> {
  const project = { id: uuidv7(), name, createdAt: now };
  await queuedWrite(db.$client, () => db.insert(projects).values(project));
  return project;
}

export async function getProjectByName(db: Db, name: string): Promise<Project | undefined> {
  return db.select().from(projects).where(eq(projects.name, name)).get();
}

export async function listProjects(db: Db): Promise<Project[]> {
  return db.select().from(projects).orderBy(asc(projects.createdAt)).limit(1000).all();
}
