import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { sessions, users } from "./schema.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { checkCredentials, createSession, createUser, deleteSession, getUserById, listUsers, SESSION_TTL_MS, userForSession } from "./users-store.js";

let ctx: TestContext;
let projectId: string;
const PASSWORD = "correct horse battery staple";

beforeAll(async () => {
  ctx = await createTestContext();
  ({ projectId } = await ctx.newProject());
});
afterAll(() => ctx.close());

describe("users store", () => {
  it("stores the email normalised and only a scrypt hash of the password", async () => {
    const u = await createUser(ctx.store.db, { projectId, email: "  Mixed.Case@Example.COM ", role: "analyst", password: PASSWORD });
    expect(u.email).toBe("mixed.case@example.com");
    expect(u).not.toHaveProperty("passwordHash");
    const row = await ctx.store.db.select().from(users).where(eq(users.id, u.id)).get();
    expect(row!.passwordHash).toMatch(/^scrypt\$/);
    expect(row!.passwordHash).not.toContain(PASSWORD);
    expect(await getUserById(ctx.store.db, u.id)).toEqual(u);
  });

  it("refuses a second account for the same address, whatever its case", async () => {
    await createUser(ctx.store.db, { projectId, email: "once@example.com", role: "admin", password: PASSWORD });
    await expect(createUser(ctx.store.db, { projectId, email: "ONCE@example.com", role: "admin", password: PASSWORD })).rejects.toThrow();
  });

  it("checkCredentials matches email in any case with the right password only", async () => {
    const u = await createUser(ctx.store.db, { projectId, email: "check@example.com", role: "reviewer", password: PASSWORD });
    expect((await checkCredentials(ctx.store.db, "CHECK@example.com", PASSWORD))?.id).toBe(u.id);
    expect(await checkCredentials(ctx.store.db, "check@example.com", PASSWORD + "x")).toBeNull();
    expect(await checkCredentials(ctx.store.db, "nobody@example.com", PASSWORD)).toBeNull();
  });

  it("keeps only a hash of the session token, and ends the session at its expiry exactly", async () => {
    const u = await createUser(ctx.store.db, { projectId, email: "session@example.com", role: "reviewer", password: PASSWORD });
    const t0 = 1_800_000_000_000;
    const { token, expiresAt } = await createSession(ctx.store.db, u, t0);
    expect(expiresAt).toBe(t0 + SESSION_TTL_MS);
    const stored = await ctx.store.db.select().from(sessions).where(eq(sessions.userId, u.id)).all();
    expect(stored).toHaveLength(1);
    expect(stored[0]!.tokenHash).not.toContain(token);
    expect((await userForSession(ctx.store.db, token, expiresAt - 1))?.id).toBe(u.id);
    expect(await userForSession(ctx.store.db, token, expiresAt)).toBeNull();
    await deleteSession(ctx.store.db, token);
    expect(await userForSession(ctx.store.db, token, t0)).toBeNull();
  });

  it("lists a project's users only", async () => {
    const other = await ctx.newProject();
    const mine = await createUser(ctx.store.db, { projectId: other.projectId, email: "mine@example.com", role: "admin", password: PASSWORD });
    expect((await listUsers(ctx.store.db, other.projectId)).map((u) => u.id)).toEqual([mine.id]);
    expect((await listUsers(ctx.store.db)).map((u) => u.id)).toContain(mine.id);
  });
});
