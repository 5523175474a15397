import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PeopleResponse } from "./contract.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";

let ctx: TestContext;
let mine: { userId: string; email: string; cookie: string };
let colleague: { userId: string; email: string };
let stranger: { userId: string; email: string; cookie: string };
let key: string;

beforeAll(async () => {
  ctx = await createTestContext();
  const a = await ctx.newProject("people-a");
  const b = await ctx.newProject("people-b");
  key = a.key;
  mine = await ctx.newUser(a.projectId, "reviewer");
  colleague = await ctx.newUser(a.projectId, "admin");
  stranger = await ctx.newUser(b.projectId, "admin");
});
afterAll(() => ctx.close());

async function people(ids: string, auth: Record<string, string> = { cookie: mine.cookie }) {
  const res = await ctx.app.request(`/v1/people?ids=${encodeURIComponent(ids)}`, { headers: auth });
  return { status: res.status, body: (await res.json()) as PeopleResponse & { error?: { code: string; message: string } } };
}

describe("GET /v1/people", () => {
  it("names the project's users by email, from bare ids and audit actors alike", async () => {
    const res = await people(`user:${colleague.userId},${mine.userId},sdk:key-1,system:cli,user:${colleague.userId}`);
    expect(res.status).toBe(200);
    expect(res.body.items.map((p) => [p.id, p.email]).sort()).toEqual(
      [
        [colleague.userId, colleague.email],
        [mine.userId, mine.email],
      ].sort(),
    );
    // Names and emails only: no role, project or credentials.
    expect(Object.keys(res.body.items[0]!).sort()).toEqual(["email", "id", "name"]);
  });

  it("never names another project's user, and answers the same as for an unknown id", async () => {
    expect((await people(`user:${stranger.userId}`)).body.items).toEqual([]);
    expect((await people("user:01a20000-0000-7000-8000-000000000000")).body.items).toEqual([]);
    // And from the other side.
    expect((await people(mine.userId, { cookie: stranger.cookie })).body.items).toEqual([]);
  });

  it("is for signed-in people only, and bounds the lookup", async () => {
    expect((await people(mine.userId, {})).status).toBe(401);
    expect((await people(mine.userId, { authorization: `Bearer ${key}` })).status).toBe(403);
    const many = Array.from({ length: 101 }, (_, i) => `u${i}`).join(",");
    const res = await people(many);
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe("invalid_query");
  });
});
