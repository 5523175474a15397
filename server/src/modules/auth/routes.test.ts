import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { UserResponse } from "./contract.js";
import { users as usersTable } from "./schema.js";
import { SESSION_TTL_MS } from "./users-store.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { LOGIN_MAX_BYTES, LOGIN_MAX_FAILURES, LOGIN_WINDOW_MS } from "./routes.js";

let ctx: TestContext;
let projectId: string;
let apiKey: string;

const BASE = "http://seamtrace.test";
const realNow = () => Date.now();

interface ErrorBody {
  error: { code: string; message: string; requestId?: string; details?: unknown };
}

beforeAll(async () => {
  ctx = await createTestContext();
  ({ projectId, key: apiKey } = await ctx.newProject());
});
afterAll(() => ctx.close());
// Tests that move the clock put it back, whatever their outcome.
afterEach(() => {
  ctx.deps.now = realNow;
});

function login(body: unknown, headers: Record<string, string> = {}, url = `${BASE}/v1/auth/login`) {
  return ctx.app.request(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

const me = (headers: Record<string, string>) => ctx.app.request(`${BASE}/v1/auth/me`, { headers });
const logout = (headers: Record<string, string>) => ctx.app.request(`${BASE}/v1/auth/logout`, { method: "POST", headers });

/** The `name=value` pair of the session cookie a response sets, ready for a Cookie header. */
function sessionCookie(res: Response): string {
  const header = res.headers.get("set-cookie");
  const pair = /^(st_session=[^;]*)/.exec(header ?? "")?.[1];
  if (!pair) throw new Error(`no st_session cookie in ${header}`);
  return pair;
}

/** A fresh user of the role; their own email so the login limiter never carries over between tests. */
async function user(role: "admin" | "reviewer" | "analyst" = "reviewer") {
  return ctx.newUser(projectId, role);
}

describe("POST /v1/auth/login", () => {
  it("answers 200 with the user and sets an HttpOnly, SameSite=Strict session cookie for the whole site", async () => {
    const u = await user("analyst");
    const res = await login({ email: u.email, password: u.password });
    expect(res.status).toBe(200);
    const body = (await res.json()) as UserResponse;
    expect(body).toEqual({ user: { id: u.userId, email: u.email, name: u.email, role: "analyst", projectId } });
    expect(JSON.stringify(body)).not.toMatch(/scrypt|passwordHash/);

    const setCookie = res.headers.get("set-cookie")!;
    const attributes = setCookie.split(";").map((a) => a.trim());
    expect(attributes[0]).toMatch(/^st_session=[\w-]{43}$/);
    expect(attributes).toContain("HttpOnly");
    expect(attributes).toContain("SameSite=Strict");
    expect(attributes).toContain("Path=/");
    expect(attributes).toContain(`Max-Age=${SESSION_TTL_MS / 1000}`);
    // Plain http: a Secure cookie would never come back, and the user could not sign in.
    expect(attributes).not.toContain("Secure");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("marks the cookie Secure when the request came over https, directly or through a TLS-terminating proxy", async () => {
    const u = await user();
    const direct = await login({ email: u.email, password: u.password }, {}, "https://seamtrace.test/v1/auth/login");
    const proxied = await login({ email: u.email, password: u.password }, { "x-forwarded-proto": "https" });
    for (const res of [direct, proxied]) {
      expect(res.status).toBe(200);
      expect(res.headers.get("set-cookie")!.split(";").map((a) => a.trim())).toContain("Secure");
    }
  });

  it("takes the email in any case and with surrounding spaces", async () => {
    const u = await user();
    const res = await login({ email: `  ${u.email.toUpperCase()} `, password: u.password });
    expect(res.status).toBe(200);
  });

  it("gives the cookie a fresh random token on every login", async () => {
    const u = await user();
    const [a, b] = await Promise.all([login({ email: u.email, password: u.password }), login({ email: u.email, password: u.password })]);
    expect(sessionCookie(a)).not.toBe(sessionCookie(b));
  });

  it("answers 401 invalid_credentials with the same body for a wrong password and an unknown email", async () => {
    const u = await user();
    const wrong = await login({ email: u.email, password: "not the right password" });
    const unknown = await login({ email: "nobody@example.test", password: u.password });
    const bodies: [ErrorBody, ErrorBody] = [(await wrong.json()) as ErrorBody, (await unknown.json()) as ErrorBody];
    for (const [res, body] of [[wrong, bodies[0]], [unknown, bodies[1]]] as const) {
      expect(res.status).toBe(401);
      expect(res.headers.get("set-cookie")).toBeNull();
      expect(body.error.code).toBe("invalid_credentials");
      expect(body.error.requestId).toBeTruthy();
    }
    const withoutId = (b: ErrorBody) => ({ ...b, error: { ...b.error, requestId: undefined } });
    expect(withoutId(bodies[0])).toEqual(withoutId(bodies[1]));
  });

  it("refuses a disabled user with the same 401, and ends the sessions they already had", async () => {
    const u = await user("admin");
    expect((await me({ cookie: u.cookie })).status).toBe(200);
    await ctx.store.db.update(usersTable).set({ disabledAt: Date.now() }).where(eq(usersTable.id, u.userId));

    const res = await login({ email: u.email, password: u.password });
    expect(res.status).toBe(401);
    expect(((await res.json()) as ErrorBody).error.code).toBe("invalid_credentials");
    expect(res.headers.get("set-cookie")).toBeNull();
    expect((await me({ cookie: u.cookie })).status).toBe(401);
  });

  it("answers 400 invalid_body to a body without a password, 415 to a form post, 400 invalid_json to broken JSON", async () => {
    const missing = await login({ email: "a@example.test" });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as ErrorBody).error.code).toBe("invalid_body");

    const form = await ctx.app.request(`${BASE}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "email=a%40example.test&password=whatever-password",
    });
    expect(form.status).toBe(415);

    const broken = await login("{\"email\":");
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as ErrorBody).error.code).toBe("invalid_json");
  });

  it(`answers 413 to a body over ${LOGIN_MAX_BYTES} bytes, with or without a Content-Length`, async () => {
    const big = JSON.stringify({ email: "a@example.test", password: "x".repeat(LOGIN_MAX_BYTES) });
    const declared = await login(big);
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as ErrorBody).error.code).toBe("payload_too_large");

    const encoder = new TextEncoder();
    const chunked = await ctx.app.request(`${BASE}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
      body: new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(encoder.encode(big));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  describe("login CSRF: a login from another site is refused", () => {
    const crossSite: Array<[string, Record<string, string>]> = [
      ["Sec-Fetch-Site: cross-site", { "sec-fetch-site": "cross-site" }],
      ["Origin: https://evil.example", { origin: "https://evil.example" }],
    ];
    for (const [label, headers] of crossSite) {
      it(`answers 403 cross_origin and sets no cookie for ${label}`, async () => {
        const u = await user();
        const res = await login({ email: u.email, password: u.password }, headers);
        expect(res.status).toBe(403);
        expect(((await res.json()) as ErrorBody).error.code).toBe("cross_origin");
        expect(res.headers.get("set-cookie")).toBeNull();
      });
    }

    it("signs in from the same origin (Sec-Fetch-Site or Origin) and from a client that sends neither (curl)", async () => {
      const u = await user();
      for (const headers of [{ "sec-fetch-site": "same-origin" }, { origin: BASE }, {}] as Array<Record<string, string>>) {
        const res = await login({ email: u.email, password: u.password }, headers);
        expect(res.status, JSON.stringify(headers)).toBe(200);
      }
    });
  });

  describe("failed-login limiter", () => {
    it(`answers 429 with Retry-After after ${LOGIN_MAX_FAILURES} failures, even to the right password, until the window ends`, async () => {
      const u = await user();
      let clock = Date.now();
      ctx.deps.now = () => clock;
      for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
        expect((await login({ email: u.email, password: `wrong password ${i}` })).status, `attempt ${i + 1}`).toBe(401);
      }
      const limited = await login({ email: u.email, password: u.password });
      expect(limited.status).toBe(429);
      expect(((await limited.json()) as ErrorBody).error.code).toBe("rate_limited");
      expect(limited.headers.get("set-cookie")).toBeNull();
      expect(Number(limited.headers.get("retry-after"))).toBe(LOGIN_WINDOW_MS / 1000);

      clock += 60_000;
      const later = await login({ email: u.email, password: u.password });
      expect(later.status).toBe(429);
      expect(Number(later.headers.get("retry-after"))).toBe(LOGIN_WINDOW_MS / 1000 - 60);

      // Another account is not held up by this one's failures.
      const other = await user();
      expect((await login({ email: other.email, password: other.password })).status).toBe(200);

      clock += LOGIN_WINDOW_MS;
      expect((await login({ email: u.email, password: u.password })).status).toBe(200);
    });

    it("forgets earlier failures after a successful login", async () => {
      const u = await user();
      for (let i = 0; i < LOGIN_MAX_FAILURES - 1; i++) await login({ email: u.email, password: "wrong password" });
      expect((await login({ email: u.email, password: u.password })).status).toBe(200);
      for (let i = 0; i < LOGIN_MAX_FAILURES - 1; i++) await login({ email: u.email, password: "wrong password" });
      expect((await login({ email: u.email, password: u.password })).status).toBe(200);
    });

    it("counts guesses sent in parallel, so a burst cannot all slip under the limit", async () => {
      const u = await user();
      const burst = await Promise.all(
        Array.from({ length: LOGIN_MAX_FAILURES + 5 }, (_, i) => login({ email: u.email, password: `wrong password ${i}` })),
      );
      const statuses = burst.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 401)).toHaveLength(LOGIN_MAX_FAILURES);
      expect(statuses.filter((s) => s === 429)).toHaveLength(5);
    });
  });
});

describe("GET /v1/auth/me", () => {
  it("answers with the signed-in user for the cookie login set, for every role", async () => {
    for (const role of ["admin", "reviewer", "analyst"] as const) {
      const u = await user(role);
      const res = await login({ email: u.email, password: u.password });
      const got = await me({ cookie: sessionCookie(res) });
      expect(got.status, role).toBe(200);
      expect(((await got.json()) as UserResponse).user).toEqual({ id: u.userId, email: u.email, name: u.email, role, projectId });
    }
  });

  it("answers 401 without a cookie, and with a cookie that is not a session", async () => {
    expect((await me({})).status).toBe(401);
    expect((await me({ cookie: "st_session=forged" })).status).toBe(401);
  });

  it("answers 403 to an API key: it is a route for signed-in users", async () => {
    const res = await me({ authorization: `Bearer ${apiKey}` });
    expect(res.status).toBe(403);
    expect(((await res.json()) as ErrorBody).error.code).toBe("forbidden");
  });

  it("answers 401 once the session has expired, and 200 just before", async () => {
    const u = await user();
    let clock = Date.now();
    ctx.deps.now = () => clock;
    const cookie = sessionCookie(await login({ email: u.email, password: u.password }));
    clock += SESSION_TTL_MS - 1;
    expect((await me({ cookie })).status).toBe(200);
    clock += 1;
    const expired = await me({ cookie });
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as ErrorBody).error.code).toBe("unauthorized");
  });
});

describe("POST /v1/auth/logout", () => {
  it("ends the session: answers 204, clears the cookie, and the old cookie no longer authenticates", async () => {
    const u = await user();
    const cookie = sessionCookie(await login({ email: u.email, password: u.password }));
    const res = await logout({ cookie, "sec-fetch-site": "same-origin" });
    expect(res.status).toBe(204);
    const cleared = res.headers.get("set-cookie")!.split(";").map((a) => a.trim());
    expect(cleared[0]).toBe("st_session=");
    expect(cleared).toContain("Max-Age=0");
    expect(cleared).toContain("Path=/");
    expect((await me({ cookie })).status).toBe(401);
  });

  it("ends only that session: the user's other sessions stay signed in", async () => {
    const u = await user();
    const a = sessionCookie(await login({ email: u.email, password: u.password }));
    const b = sessionCookie(await login({ email: u.email, password: u.password }));
    expect((await logout({ cookie: a })).status).toBe(204);
    expect((await me({ cookie: a })).status).toBe(401);
    expect((await me({ cookie: b })).status).toBe(200);
  });

  it("refuses a cross-site logout with 403 cross_origin and leaves the session alive", async () => {
    const u = await user();
    const cookie = sessionCookie(await login({ email: u.email, password: u.password }));
    for (const headers of [{ "sec-fetch-site": "cross-site" }, { origin: "https://evil.example" }] as Array<Record<string, string>>) {
      const res = await logout({ cookie, ...headers });
      expect(res.status).toBe(403);
      expect(((await res.json()) as ErrorBody).error.code).toBe("cross_origin");
    }
    expect((await me({ cookie })).status).toBe(200);
  });

  it("is idempotent: without a live session it still answers 204 and clears the cookie", async () => {
    for (const headers of [{}, { cookie: "st_session=gone" }] as Array<Record<string, string>>) {
      const res = await logout(headers);
      expect(res.status).toBe(204);
      expect(res.headers.get("set-cookie")).toMatch(/^st_session=;.*Max-Age=0/);
    }
  });

  it("answers 403 to an API key, which has no session to end", async () => {
    expect((await logout({ authorization: `Bearer ${apiKey}` })).status).toBe(403);
  });

  it("a second login from the same browser replaces its session rather than adding one", async () => {
    const u = await user();
    const first = sessionCookie(await login({ email: u.email, password: u.password }));
    const second = sessionCookie(await login({ email: u.email, password: u.password }, { cookie: first }));
    expect((await me({ cookie: first })).status).toBe(401);
    expect((await me({ cookie: second })).status).toBe(200);
  });
});
