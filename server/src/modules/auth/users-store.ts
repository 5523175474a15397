import { uuidv7 } from "@seamtrace/sdk";
import { createHash, randomBytes } from "node:crypto";
import { and, asc, eq, gt, inArray } from "drizzle-orm";
import type { Db } from "../../platform/db/client.js";
import { sessions, users } from "./schema.js";
import type { Role } from "../../app/deps.js";
import { hashPassword, verifyPassword } from "./password.js";
import { appendAudit } from "../audit/store.js";
import { execIn } from "../../platform/db/sql.js";
import { withWriteLock } from "../../platform/db/write-transaction.js";

export interface User {
  id: string;
  projectId: string;
  email: string;
  name: string;
  role: Role;
  createdAt: number;
  disabledAt: number | null;
}

const publicColumns = {
  id: users.id,
  projectId: users.projectId,
  email: users.email,
  name: users.name,
  role: users.role,
  createdAt: users.createdAt,
  disabledAt: users.disabledAt,
};

export const normaliseEmail = (email: string) => email.trim().toLowerCase();

export async function createUser(
  db: Db,
  input: { projectId: string; email: string; name?: string; role: Role; password: string; actor?: string },
  now = Date.now(),
): Promise<User> {
  const user = {
    id: uuidv7(),
    projectId: input.projectId,
    email: normaliseEmail(input.email),
    name: input.name ?? input.email,
    role: input.role,
    passwordHash: await hashPassword(input.password),
    createdAt: now,
    disabledAt: null,
  };
  await withWriteLock(db.$client, async (tx) => {
    await execIn(tx, db.insert(users).values(user));
    await appendAudit(tx, user.projectId, [
      {
        time: now,
        actor: input.actor ?? "system:cli",
        action: "user.created",
        subject: `user:${user.id}`,
        payload: { userId: user.id, email: user.email, role: user.role },
      },
    ]);
    return { commit: true, value: undefined };
  });
  const { passwordHash: _, ...rest } = user;
  return rest;
}

export async function listUsers(db: Db, projectId?: string): Promise<User[]> {
  const q = db.select(publicColumns).from(users);
  return (projectId ? q.where(eq(users.projectId, projectId)) : q).orderBy(asc(users.createdAt)).limit(10_000).all();
}

/**
 * The named users of one project, by id: ids of another project's users are not found, so an
 * id seen elsewhere never reveals who it is.
 */
export async function peopleByIds(db: Db, projectId: string, ids: readonly string[]): Promise<Array<{ id: string; email: string; name: string }>> {
  if (ids.length === 0) return [];
  return db
    .select({ id: users.id, email: users.email, name: users.name })
    .from(users)
    .where(and(eq(users.projectId, projectId), inArray(users.id, [...ids])))
    .orderBy(asc(users.email))
    .all();
}

export async function getUserByEmail(db: Db, email: string): Promise<User | undefined> {
  return db
    .select(publicColumns)
    .from(users)
    .where(eq(users.email, normaliseEmail(email)))
    .get();
}

export async function getUserById(db: Db, id: string): Promise<User | undefined> {
  return db.select(publicColumns).from(users).where(eq(users.id, id)).get();
}

/**
 * The user whose email and password match, or null. A missing user still costs one scrypt, so
 * response time does not tell which addresses have accounts.
 */
export async function checkCredentials(db: Db, email: string, password: string): Promise<User | null> {
  const row = await db
    .select()
    .from(users)
    .where(eq(users.email, normaliseEmail(email)))
    .get();
  const ok = await verifyPassword(password, row?.passwordHash ?? DUMMY_HASH);
  if (!row || !ok || row.disabledAt !== null) return null;
  const { passwordHash: _, ...user } = row;
  return user;
}

// A valid hash of a random password, for the timing of unknown users.
const DUMMY_HASH = await hashPassword(randomBytes(16).toString("hex"));

/** Session tokens: 32 random bytes for the cookie, only their SHA-256 in the database. */
const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** Signs a user in: the session and its `auth.login` audit entry commit together. */
export async function createSession(db: Db, user: User, now = Date.now()): Promise<{ token: string; expiresAt: number }> {
  const token = randomBytes(32).toString("base64url");
  const expiresAt = now + SESSION_TTL_MS;
  await withWriteLock(db.$client, async (tx) => {
    await execIn(tx, db.insert(sessions).values({ tokenHash: hashToken(token), userId: user.id, projectId: user.projectId, createdAt: now, expiresAt }));
    await appendAudit(tx, user.projectId, [{ time: now, actor: `user:${user.id}`, action: "auth.login", subject: `user:${user.id}`, payload: { expiresAt } }]);
    return { commit: true, value: undefined };
  });
  return { token, expiresAt };
}

/**
 * A failed sign-in to an existing account is audited on that account (logins). Attempts
 * on addresses with no account have no project to record them in; the rate limiter sees them.
 */
export async function recordLoginFailure(db: Db, email: string, now = Date.now()): Promise<void> {
  const user = await getUserByEmail(db, email);
  if (!user) return;
  await withWriteLock(db.$client, async (tx) => {
    await appendAudit(tx, user.projectId, [{ time: now, actor: `user:${user.id}`, action: "auth.login_failed", subject: `user:${user.id}`, payload: null }]);
    return { commit: true, value: undefined };
  });
}

/** The live session's user, or null for an unknown, expired or disabled one. */
export async function userForSession(db: Db, token: string, now = Date.now()): Promise<User | null> {
  const row = await db
    .select(publicColumns)
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.tokenHash, hashToken(token)), gt(sessions.expiresAt, now)))
    .get();
  return row && row.disabledAt === null ? row : null;
}

/** Signs a session out (`auth.logout` when there was one). */
export async function deleteSession(db: Db, token: string, now = Date.now()): Promise<void> {
  await withWriteLock(db.$client, async (tx) => {
    const rs = await execIn(
      tx,
      db
        .delete(sessions)
        .where(eq(sessions.tokenHash, hashToken(token)))
        .returning({ userId: sessions.userId, projectId: sessions.projectId }),
    );
    const row = rs.rows[0];
    if (!row) return { commit: false, value: undefined };
    await appendAudit(tx, String(row[1]), [
      { time: now, actor: `user:${String(row[0])}`, action: "auth.logout", subject: `user:${String(row[0])}`, payload: null },
    ]);
    return { commit: true, value: undefined };
  });
}
