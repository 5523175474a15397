import type { Db } from "../../platform/db/client.js";
import { createApiKey, type CreatedApiKey } from "./keys-store.js";
import { createProject, listProjects } from "./projects-store.js";

export const DEFAULT_PROJECT = "default";

/**
 * First start: an empty store gets a project named "default" and one API key for it, so a new
 * user can send events right away. Returns the key (in full, the only time) when it made one.
 */
export async function bootstrapStore(db: Db, secret: string): Promise<CreatedApiKey | null> {
  const existing = await listProjects(db);
  if (existing.length > 0) return null;
  const project = await createProject(db, DEFAULT_PROJECT, Date.now(), "system:bootstrap");
  return createApiKey(db, secret, { projectId: project.id, name: "default", actor: "system:bootstrap" });
}
