import type { KeyObject } from "node:crypto";
import type { Db } from "../../platform/db/client.js";
import type { VerifyReport } from "./report.js";
import { readSystemAnchor, SYSTEM_CHAIN } from "./system-anchor.js";
import { verifyAudit, type VerifyOptions } from "./verify.js";
import { listProjects } from "../auth/projects-store.js";
import { PROJECT_KEY } from "../../platform/db/project-key.js";

export interface ChainReport extends VerifyReport {
  /** The project's name; the system chain's is "(system)", a project gone from the store is "(deleted) <id>". */
  project: string;
}

export interface StoreVerifyOptions extends Pick<VerifyOptions, "external" | "now" | "unanchoredAfterMs"> {
  /** Only these projects (by name); the system chain is always checked. */
  projectName?: string;
  /** Told each chain before it is walked, with its head, for a progress bar. */
  onChain?: (name: string, head: number) => { onProgress?: (n: number) => void; done?: () => void } | undefined;
}

/**
 * Verifies the whole store: the system chain first, then every chain its latest anchor lists,
 * the projects table holds, or the copies outside the database name. A chain that exists in one
 * and not the others is a finding: a project deleted with its chain and checkpoints still stands
 * in the anchor, with or without the copies outside.
 */
export async function verifyStore(db: Db, publicKey: KeyObject, options: StoreVerifyOptions = {}): Promise<ChainReport[]> {
  const projects = await listProjects(db);
  const names = new Map(projects.map((p) => [p.id, p.name]));
  const anchor = await readSystemAnchor(db.$client);
  const ids = new Set<string>(projects.map((p) => p.id));
  if (anchor && typeof anchor === "object") for (const id of anchor.listing.keys()) ids.add(id);
  for (const id of options.external?.byProject.keys() ?? []) if (id !== SYSTEM_CHAIN) ids.add(id);
  const wanted = options.projectName === undefined ? [...ids] : [...ids].filter((id) => names.get(id) === options.projectName);

  const reports: ChainReport[] = [];
  const walk = async (id: string, name: string, extra: Partial<VerifyOptions>) => {
    const hooks = options.onChain?.(name, (await headOf(db, id)) ?? 0) ?? {};
    try {
      const report = await verifyAudit(db, id, publicKey, { ...options, ...extra, ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}) });
      reports.push({ project: name, ...report });
      return report;
    } finally {
      hooks.done?.();
    }
  };
  await walk(SYSTEM_CHAIN, "(system)", { systemAnchor: null });
  for (const id of wanted) {
    const report = await walk(id, names.get(id) ?? `(deleted) ${id}`, { systemAnchor: anchor });
    if (!names.has(id) && report.ok) {
      // Its chain holds, but the project it belongs to is gone from the projects table.
      const r = reports[reports.length - 1]!;
      r.ok = false;
      r.firstBad = { seq: 1, reason: `project ${id} is gone from the store's projects, though its chain${report.entries > 0 ? " remains" : " was anchored"}` };
      r.unanchored = null;
    }
  }
  return reports;
}

async function headOf(db: Db, projectId: string): Promise<number | null> {
  const rs = await db.$client.execute({ sql: `SELECT max(seq) FROM audit_log WHERE project_key = ${PROJECT_KEY}`, args: [projectId] });
  return rs.rows[0]?.[0] == null ? null : Number(rs.rows[0][0]);
}
