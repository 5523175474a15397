import type { Client } from "@libsql/client";
import type { Db } from "../../platform/db/client.js";
import { hasRole } from "../auth/require-auth.js";
import { listUsers } from "../auth/users-store.js";
import type { AssigneeCounts } from "./team-contract.js";
import { countQueue } from "./store.js";

/**
 * Progress per person who reviews (admins, leads and reviewers): live claims they hold, decisions
 * they made in the window, and how many items wait in their queue (the `mine=true` queue).
 */
export async function assigneeCounts(
  db: Db,
  projectId: string,
  f: { group?: string | undefined; from: number; to: number; now: number },
): Promise<AssigneeCounts[]> {
  const client: Client = db.$client;
  const [users, memberships, claims, decisions] = await Promise.all([
    listUsers(db, projectId),
    client.execute({ sql: "SELECT user_id, group_name FROM review_group_members WHERE project_id = ?", args: [projectId] }),
    client.execute({
      sql: `SELECT claimed_by, count(*) FROM escalations
            WHERE project_id = ? AND status IN ('open', 'in_review', 'disputed') AND claimed_by IS NOT NULL AND claim_expires_at > ?
            GROUP BY claimed_by`,
      args: [projectId, f.now],
    }),
    client.execute({
      sql: `SELECT actor, count(*) FROM reviews
            WHERE project_id = ? AND created_at >= ? AND created_at < ? AND role IN ('reviewer', 'adjudicator') AND actor LIKE 'user:%'
            GROUP BY actor`,
      args: [projectId, f.from, f.to],
    }),
  ]);
  const groupsOf = new Map<string, string[]>();
  for (const r of memberships.rows) groupsOf.set(String(r[0]), [...(groupsOf.get(String(r[0])) ?? []), String(r[1])].sort());
  const claimed = new Map(claims.rows.map((r) => [String(r[0]), Number(r[1])]));
  const decided = new Map(decisions.rows.map((r) => [String(r[0]).slice("user:".length), Number(r[1])]));
  const people = users.filter((u) => u.disabledAt === null && hasRole(u.role, ["admin", "reviewer"]));
  const chosen = f.group === undefined ? people : people.filter((u) => (groupsOf.get(u.id) ?? []).includes(f.group!));
  const out: AssigneeCounts[] = [];
  for (const u of chosen) {
    const groups = groupsOf.get(u.id) ?? [];
    const pending = await countQueue(db, projectId, {
      status: "active",
      mine: true,
      viewer: { userId: u.id, role: u.role, groups },
      ...(f.group === undefined ? {} : { group: f.group }),
    });
    out.push({ userId: u.id, email: u.email, name: u.name, role: u.role, groups, claimed: claimed.get(u.id) ?? 0, decided: decided.get(u.id) ?? 0, pending });
  }
  return out;
}
