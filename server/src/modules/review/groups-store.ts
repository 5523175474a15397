import type { Client } from "@libsql/client";
import { and, asc, eq } from "drizzle-orm";
import type { Db } from "../../platform/db/client.js";
import { reviewGroupMembers, reviewGroups } from "./schema.js";
import type { ReviewGroupView } from "./team-contract.js";
import { listUsers, type User } from "../auth/users-store.js";
import { appendAudit } from "../audit/store.js";
import { withWriteLock } from "../../platform/db/write-transaction.js";
import { iso } from "../../platform/db/json.js";

/** Review groups and their members: who sees what a policy routes to a group. */

/** The groups a user belongs to (read on every queue request: the member index serves it). */
export async function userGroups(db: Db, projectId: string, userId: string): Promise<string[]> {
  const rows = await db
    .select({ name: reviewGroupMembers.groupName })
    .from(reviewGroupMembers)
    .where(and(eq(reviewGroupMembers.projectId, projectId), eq(reviewGroupMembers.userId, userId)))
    .orderBy(asc(reviewGroupMembers.groupName))
    .limit(1_000)
    .all();
  return rows.map((r) => r.name);
}

function view(g: typeof reviewGroups.$inferSelect, memberIds: string[], users: Map<string, User>): ReviewGroupView {
  return {
    name: g.name,
    knownAnswerRate: g.knownAnswerRate,
    members: memberIds.flatMap((id) => {
      const u = users.get(id);
      return u ? [{ userId: u.id, email: u.email, name: u.name, role: u.role }] : [];
    }),
    createdAt: iso(g.createdAt),
    updatedAt: iso(g.updatedAt),
  };
}

export async function listGroups(db: Db, projectId: string): Promise<ReviewGroupView[]> {
  const [groups, members, users] = await Promise.all([
    db.select().from(reviewGroups).where(eq(reviewGroups.projectId, projectId)).orderBy(asc(reviewGroups.name)).limit(1_000).all(),
    db.select().from(reviewGroupMembers).where(eq(reviewGroupMembers.projectId, projectId)).limit(100_000).all(),
    listUsers(db, projectId),
  ]);
  const byId = new Map(users.map((u) => [u.id, u]));
  return groups.map((g) =>
    view(
      g,
      members.filter((m) => m.groupName === g.name).map((m) => m.userId),
      byId,
    ),
  );
}

export type PutGroupOutcome = { outcome: "created" | "updated"; group: ReviewGroupView } | { outcome: "unknown_users"; userIds: string[] };

/**
 * Sets a group's members (the whole list) and known-answer rate, audited with before and after.
 * Members must be users of the project: an id of another project is refused like an unknown one.
 */
export async function putGroup(
  db: Db,
  input: { projectId: string; name: string; members: readonly string[]; knownAnswerRate?: number | undefined; actor: string; now: number },
): Promise<PutGroupOutcome> {
  const users = await listUsers(db, input.projectId);
  const byId = new Map(users.map((u) => [u.id, u]));
  const members = [...new Set(input.members)];
  const unknown = members.filter((id) => !byId.has(id));
  if (unknown.length > 0) return { outcome: "unknown_users", userIds: unknown };
  const client: Client = db.$client;
  return withWriteLock<PutGroupOutcome>(client, async (tx) => {
    const prev = await tx.execute({
      sql: "SELECT known_answer_rate, created_at FROM review_groups WHERE project_id = ? AND name = ?",
      args: [input.projectId, input.name],
    });
    const before = prev.rows[0];
    const prevMembers = await tx.execute({
      sql: "SELECT user_id FROM review_group_members WHERE project_id = ? AND group_name = ? ORDER BY user_id",
      args: [input.projectId, input.name],
    });
    const rate = input.knownAnswerRate ?? (before ? Number(before.known_answer_rate) : 0);
    const createdAt = before ? Number(before.created_at) : input.now;
    await tx.execute({
      sql: `INSERT INTO review_groups (project_id, name, known_answer_rate, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (project_id, name) DO UPDATE SET known_answer_rate = excluded.known_answer_rate, updated_at = excluded.updated_at`,
      args: [input.projectId, input.name, rate, createdAt, input.now],
    });
    await tx.execute({ sql: "DELETE FROM review_group_members WHERE project_id = ? AND group_name = ?", args: [input.projectId, input.name] });
    for (const userId of members) {
      await tx.execute({
        sql: "INSERT INTO review_group_members (project_id, group_name, user_id, added_at) VALUES (?, ?, ?, ?)",
        args: [input.projectId, input.name, userId, input.now],
      });
    }
    await appendAudit(tx, input.projectId, [
      {
        time: input.now,
        actor: input.actor,
        action: before ? "review_group.updated" : "review_group.created",
        subject: `review_group:${input.name}`,
        payload: {
          group: input.name,
          before: before ? { members: prevMembers.rows.map((r) => String(r[0])), knownAnswerRate: Number(before.known_answer_rate) } : null,
          after: { members: [...members].sort(), knownAnswerRate: rate },
        },
      },
    ]);
    const group = view({ projectId: input.projectId, name: input.name, knownAnswerRate: rate, createdAt, updatedAt: input.now }, members, byId);
    return { commit: true, value: { outcome: before ? "updated" : "created", group } };
  });
}

/** Removes a group and its members; false when there was none. Its escalations stay routed to it (admins and leads see them). */
export async function deleteGroup(db: Db, input: { projectId: string; name: string; actor: string; now: number }): Promise<boolean> {
  return withWriteLock(db.$client, async (tx) => {
    const rs = await tx.execute({ sql: "DELETE FROM review_groups WHERE project_id = ? AND name = ?", args: [input.projectId, input.name] });
    if (rs.rowsAffected === 0) return { commit: false, value: false };
    await tx.execute({ sql: "DELETE FROM review_group_members WHERE project_id = ? AND group_name = ?", args: [input.projectId, input.name] });
    await appendAudit(tx, input.projectId, [
      { time: input.now, actor: input.actor, action: "review_group.deleted", subject: `review_group:${input.name}`, payload: { group: input.name } },
    ]);
    return { commit: true, value: true };
  });
}
