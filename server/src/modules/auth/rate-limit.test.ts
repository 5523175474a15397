import { RateLimiterMemory } from "rate-limiter-flexible";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "../../app/app.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";

let ctx: TestContext;
afterEach(() => ctx.close());

const get = (app: { request: (p: string, i?: RequestInit) => Response | Promise<Response> }, headers: Record<string, string>) =>
  app.request("/v1/runs", { headers });

describe("rate limit per key", () => {
  it("answers 429 with Retry-After and a JSON error past the limit, per key and per user", async () => {
    ctx = await createTestContext({ SEAMTRACE_RATE_LIMIT_PER_MINUTE: "5" });
    const a = await ctx.newProject();
    const b = await ctx.newProject();
    const auth = { authorization: `Bearer ${a.key}` };
    for (let i = 0; i < 5; i++) expect((await get(ctx.app, auth)).status).toBe(200);
    const limited = await get(ctx.app, auth);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expect(await limited.json()).toMatchObject({ error: { code: "rate_limited", details: { limitPerMinute: 5 } } });
    // Ingest is limited with the same key's budget.
    const events = await ctx.app.request("/v1/events", { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: '{"events":[]}' });
    expect(events.status).toBe(429);
    // Another key has its own budget.
    expect((await get(ctx.app, { authorization: `Bearer ${b.key}` })).status).toBe(200);

    const user = await ctx.newUser(a.projectId, "analyst");
    for (let i = 0; i < 5; i++) expect((await ctx.app.request("/v1/audit", { headers: { cookie: user.cookie } })).status).toBe(200);
    expect((await ctx.app.request("/v1/audit", { headers: { cookie: user.cookie } })).status).toBe(429);
  });

  it("does not spend the budget on requests that fail authentication", async () => {
    ctx = await createTestContext({ SEAMTRACE_RATE_LIMIT_PER_MINUTE: "2" });
    const a = await ctx.newProject();
    for (let i = 0; i < 5; i++) expect((await get(ctx.app, { authorization: "Bearer st_wrong" })).status).toBe(401);
    expect((await get(ctx.app, { authorization: `Bearer ${a.key}` })).status).toBe(200);
  });

  it("never fails open: a limiter that cannot answer refuses the request with 503", async () => {
    ctx = await createTestContext();
    const a = await ctx.newProject();
    const broken = new RateLimiterMemory({ points: 100, duration: 60 });
    broken.consume = () => Promise.reject(new Error("store unreachable"));
    const app = createApp({ ...ctx.deps, rateLimiter: broken });
    const res = await get(app, { authorization: `Bearer ${a.key}` });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(await res.json()).toMatchObject({ error: { code: "unavailable" } });
  });
});
