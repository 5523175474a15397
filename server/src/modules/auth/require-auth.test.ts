import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppEnv, Role } from "../../app/deps.js";
import { AppError } from "../../platform/http/errors.js";
import { revokeApiKey } from "./keys-store.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { checkSameOrigin, requireAuth } from "./require-auth.js";

/**
 * requireAuth on a small app of its own, so each rule is seen without any real route's
 * validation in the way: `/any-user` takes every role and keys, `/admin` only admins,
 * `/sdk` only API keys. Each answers with the principal it was given.
 */

let ctx: TestContext;
let app: Hono<AppEnv>;
let project: { projectId: string; key: string; keyId: string };
const users = {} as Record<Role, { userId: string; cookie: string }>;

const BASE = "http://seamtrace.test";
const UNSAFE = ["POST", "PUT", "PATCH", "DELETE"] as const;

beforeAll(async () => {
  ctx = await createTestContext();
  project = await ctx.newProject();
  for (const role of ["admin", "reviewer", "analyst"] as const) users[role] = await ctx.newUser(project.projectId, role);

  const deps = ctx.deps;
  const echo = (c: { json: (v: unknown) => Response; get: (k: "principal") => unknown }) => c.json(c.get("principal"));
  app = new Hono<AppEnv>();
  app.on(["GET", ...UNSAFE], "/any-user", requireAuth(deps, { apiKey: true, roles: ["admin", "reviewer", "analyst"] }), (c) => echo(c));
  app.on(["GET", ...UNSAFE], "/admin", requireAuth(deps, { roles: ["admin"] }), (c) => echo(c));
  app.on(["GET", ...UNSAFE], "/sdk", requireAuth(deps, { apiKey: true }), (c) => echo(c));
  app.onError((err, c) => {
    if (err instanceof AppError) return c.json({ error: { code: err.code, message: err.message } }, err.status);
    throw err;
  });
});
afterAll(() => ctx.close());

async function call(method: string, path: string, headers: Record<string, string> = {}) {
  const res = await app.request(`${BASE}${path}`, { method, headers });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } & Record<string, unknown> };
}

describe("requireAuth: who is asking", () => {
  it("answers 401 to a request with neither a key nor a session", async () => {
    for (const path of ["/any-user", "/admin", "/sdk"]) {
      const r = await call("GET", path);
      expect(r.status, path).toBe(401);
      expect(r.body.error?.code).toBe("unauthorized");
    }
  });

  it("accepts a project API key where keys are allowed, with the key's project and an sdk: actor", async () => {
    const r = await call("GET", "/sdk", { authorization: `Bearer ${project.key}` });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ projectId: project.projectId, keyId: project.keyId, actor: `sdk:${project.keyId}` });
  });

  it("answers 403 to an API key on a route for signed-in users only", async () => {
    const r = await call("GET", "/admin", { authorization: `Bearer ${project.key}` });
    expect(r.status).toBe(403);
    expect(r.body.error?.code).toBe("forbidden");
  });

  it("answers 401 to a malformed Authorization header, an unknown key and a revoked key", async () => {
    const other = await ctx.newProject();
    await revokeApiKey(ctx.store.db, other.keyId);
    for (const authorization of [`Basic ${Buffer.from("a:b").toString("base64")}`, "Bearer", "Bearer st_notarealkey", `Bearer ${other.key}`]) {
      const r = await call("GET", "/sdk", { authorization });
      expect(r.status, authorization).toBe(401);
    }
  });

  it("puts the user's project, id, role and a user: actor on the context for a session", async () => {
    const r = await call("GET", "/any-user", { cookie: users.reviewer.cookie });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ projectId: project.projectId, userId: users.reviewer.userId, role: "reviewer", actor: `user:${users.reviewer.userId}` });
  });

  it("answers 401 to a session cookie on a route that takes API keys only", async () => {
    const r = await call("GET", "/sdk", { cookie: users.admin.cookie });
    expect(r.status).toBe(401);
  });

  it("answers 401 to an unknown session token", async () => {
    const r = await call("GET", "/any-user", { cookie: "st_session=not-a-session" });
    expect(r.status).toBe(401);
    expect(r.body.error?.code).toBe("unauthorized");
  });

  it("answers 403 to a role the route does not allow, and 200 to the one it does", async () => {
    for (const role of ["reviewer", "analyst"] as const) {
      const r = await call("GET", "/admin", { cookie: users[role].cookie });
      expect(r.status, role).toBe(403);
      expect(r.body.error?.code).toBe("forbidden");
    }
    expect((await call("GET", "/admin", { cookie: users.admin.cookie })).status).toBe(200);
  });
});

describe("requireAuth: cross-origin state-changing requests with a session cookie", () => {
  const crossSite: Array<[string, Record<string, string>]> = [
    ["Sec-Fetch-Site: cross-site", { "sec-fetch-site": "cross-site" }],
    // A sibling subdomain is same-site but not same-origin, and may be less trusted.
    ["Sec-Fetch-Site: same-site", { "sec-fetch-site": "same-site" }],
    ["Origin: https://evil.example", { origin: "https://evil.example" }],
    // Same host on another scheme is another origin.
    ["Origin: https://seamtrace.test", { origin: "https://seamtrace.test" }],
    // Sandboxed iframes and some redirects send the opaque origin.
    ["Origin: null", { origin: "null" }],
    // Sec-Fetch-Site is what the browser computed; a matching Origin does not override it.
    ["cross-site with a same Origin", { "sec-fetch-site": "cross-site", origin: BASE }],
  ];

  for (const method of UNSAFE) {
    for (const [label, headers] of crossSite) {
      it(`refuses ${method} with ${label}: 403 cross_origin`, async () => {
        const r = await call(method, "/any-user", { cookie: users.admin.cookie, ...headers });
        expect(r.status).toBe(403);
        expect(r.body.error?.code).toBe("cross_origin");
      });
    }
  }

  const allowed: Array<[string, Record<string, string>]> = [
    ["Sec-Fetch-Site: same-origin", { "sec-fetch-site": "same-origin" }],
    // A user typing the URL or following a bookmark.
    ["Sec-Fetch-Site: none", { "sec-fetch-site": "none" }],
    ["its own Origin", { origin: BASE }],
    // curl and scripts: no browser, so no ambient cookie to abuse.
    ["no Origin and no Sec-Fetch-Site", {}],
  ];
  for (const [label, headers] of allowed) {
    it(`allows POST and DELETE with ${label}`, async () => {
      for (const method of ["POST", "DELETE"]) {
        const r = await call(method, "/any-user", { cookie: users.admin.cookie, ...headers });
        expect(r.status, method).toBe(200);
      }
    });
  }

  it("lets a cross-site GET through: reads change nothing, and the browser keeps their answer from the other site", async () => {
    const r = await call("GET", "/any-user", { cookie: users.analyst.cookie, "sec-fetch-site": "cross-site", origin: "https://evil.example" });
    expect(r.status).toBe(200);
  });

  it("does not apply to API keys, which a browser never attaches on its own", async () => {
    const r = await call("POST", "/sdk", { authorization: `Bearer ${project.key}`, "sec-fetch-site": "cross-site", origin: "https://evil.example" });
    expect(r.status).toBe(200);
  });

  it("refuses a cross-site request before its role is looked at, so the answer is the same for every role", async () => {
    for (const role of ["admin", "analyst"] as const) {
      const r = await call("POST", "/admin", { cookie: users[role].cookie, "sec-fetch-site": "cross-site" });
      expect(r.body.error?.code, role).toBe("cross_origin");
    }
  });
});

describe("checkSameOrigin", () => {
  const url = new URL("http://localhost:7077/v1/auth/login");
  const refuses = (site: string | undefined, origin: string | undefined) => () => checkSameOrigin(site, origin, url);

  it("trusts Sec-Fetch-Site when present: same-origin and none pass, anything else is cross_origin", () => {
    expect(refuses("same-origin", undefined)).not.toThrow();
    expect(refuses("none", undefined)).not.toThrow();
    for (const site of ["cross-site", "same-site", "garbage", ""]) {
      expect(refuses(site, undefined), site).toThrow(expect.objectContaining({ status: 403, code: "cross_origin" }));
    }
  });

  it("falls back to Origin: equal to the request's origin (scheme, host and port) or absent passes", () => {
    expect(refuses(undefined, "http://localhost:7077")).not.toThrow();
    expect(refuses(undefined, undefined)).not.toThrow();
    for (const origin of ["http://localhost:7078", "https://localhost:7077", "http://localhost.evil.example:7077", "null"]) {
      expect(refuses(undefined, origin), origin).toThrow(expect.objectContaining({ status: 403, code: "cross_origin" }));
    }
  });
});
