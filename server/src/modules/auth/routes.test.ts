import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { UserResponse } from "./contract.js";
import { users as usersTable } from "./schema.js";
import { SESSION_TTL_MS } from "./users-store.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { LOGIN_MAX_BYTES } from "./routes.js";
import { DEFAULT_LOGIN_THROTTLE } from "./login-throttle.js";
import { passwordHashing } from "./password.js";

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

/** The attributes of the cookie `name` a response sets, its `name=value` first. */
function cookieAttributes(res: Response, name: string): string[] {
  const header = res.headers.getSetCookie().find((h) => h.startsWith(`${name}=`));
  if (!header) throw new Error(`no ${name} cookie in ${res.headers.getSetCookie().join(" | ")}`);
  return header.split(";").map((a) => a.trim());
}

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

    const attributes = cookieAttributes(res, "st_session");
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
      expect(cookieAttributes(res, "st_session")).toContain("Secure");
      expect(cookieAttributes(res, "st_device")).toContain("Secure");
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
    for (const [res, body] of [
      [wrong, bodies[0]],
      [unknown, bodies[1]],
    ] as const) {
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

    const broken = await login('{"email":');
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

  // Each case signs in tens of times, and every sign-in is a real scrypt hash.
  describe("failed sign-ins: slowed, never turned against the account's owner", { timeout: 240_000 }, () => {
    const T = DEFAULT_LOGIN_THROTTLE;
    /** A login from a client at `address` (as the Node server sees its peer), with cookies. */
    function from(address: string, body: unknown, cookie?: string) {
      return ctx.app.request(
        `${BASE}/v1/auth/login`,
        { method: "POST", headers: { "content-type": "application/json", ...(cookie ? { cookie } : {}) }, body: JSON.stringify(body) },
        { incoming: { socket: { remoteAddress: address, remotePort: 40_000, remoteFamily: "IPv4" } } },
      );
    }
    const deviceOf = (res: Response) => cookieAttributes(res, "st_device")[0]!;

    it("lets the owner's own browser in however many times strangers fail, from the owner's own address too", async () => {
      const u = await user();
      const clock = Date.now();
      ctx.deps.now = () => clock;
      // The owner signed in from this browser before: it holds a device cookie for the account.
      const first = await from("198.51.100.7", { email: u.email, password: u.password });
      expect(first.status).toBe(200);
      const device = deviceOf(first);
      // Strangers, behind the same proxy address, fail until they are held up.
      let held = 0;
      for (let i = 0; i < 3 * T.freeFailures; i++) {
        const r = await from("198.51.100.7", { email: u.email, password: `guess ${i}` });
        if (r.status === 429) held++;
      }
      expect(held).toBeGreaterThan(0);
      // The owner's browser is not.
      const owner = await from("198.51.100.7", { email: u.email, password: u.password }, device);
      expect(owner.status).toBe(200);
      // A device cookie for another account, or a forged one, is no pass.
      const other = await user();
      const otherDevice = deviceOf(await from("198.51.100.8", { email: other.email, password: other.password }));
      expect((await from("198.51.100.7", { email: u.email, password: u.password }, otherDevice)).status).toBe(429);
      expect((await from("198.51.100.7", { email: u.email, password: u.password }, `st_device=${"a".repeat(22)}.${"b".repeat(43)}`)).status).toBe(429);
    });

    it(`makes unrecognised clients wait after ${T.freeFailures} failures, doubling up to ${T.maxDelayMs / 60_000} minutes: a delay, never a lockout`, async () => {
      const u = await user();
      let clock = Date.now();
      ctx.deps.now = () => clock;
      for (let i = 0; i < T.freeFailures; i++) expect((await login({ email: u.email, password: `guess ${i}` })).status, `guess ${i}`).toBe(401);
      const waits: number[] = [];
      for (let i = 0; i < 12; i++) {
        const held = await login({ email: u.email, password: "guess again" });
        expect(held.status).toBe(429);
        expect(((await held.json()) as ErrorBody).error.code).toBe("rate_limited");
        expect(held.headers.get("set-cookie")).toBeNull();
        const wait = Number(held.headers.get("retry-after"));
        waits.push(wait);
        clock += wait * 1000;
        expect((await login({ email: u.email, password: "guess again" })).status).toBe(401);
      }
      expect(waits.slice(0, 4)).toEqual([1, 2, 4, 8]);
      expect(Math.max(...waits)).toBe(T.maxDelayMs / 1000);
      // However long the strangers kept at it, the owner on a new device waits that long at most.
      clock += T.maxDelayMs;
      expect((await login({ email: u.email, password: u.password })).status).toBe(200);
      // And that success clears the account's delay.
      expect((await login({ email: u.email, password: "one typo" })).status).toBe(401);
    });

    it("holds up guesses at one account however many addresses they come from (45 from 15)", async () => {
      const u = await user();
      const clock = Date.now();
      ctx.deps.now = () => clock;
      const statuses: number[] = [];
      for (let i = 0; i < 45; i++) statuses.push((await from(`192.0.2.${(i % 15) + 1}`, { email: u.email, password: `guess ${i}` })).status);
      expect(statuses.slice(0, T.freeFailures)).toEqual(Array(T.freeFailures).fill(401));
      expect(statuses.slice(T.freeFailures)).toEqual(Array(45 - T.freeFailures).fill(429));
    });

    it(`stops one address after ${T.perAddressFailures} failures across any accounts, and only that address`, async () => {
      const owner = await user();
      const emails = [owner.email, ...Array.from({ length: 14 }, (_, i) => `sprayed-${i}-${Date.now()}@example.test`)];
      const clock = Date.now();
      ctx.deps.now = () => clock;
      // Two guesses per account stay under every account's budget: only the address's runs out.
      const statuses: number[] = [];
      for (const round of [0, 1, 2]) for (const email of emails) statuses.push((await from("203.0.113.9", { email, password: `spray ${round}` })).status);
      expect(statuses.slice(0, T.perAddressFailures)).toEqual(Array(T.perAddressFailures).fill(401));
      expect(statuses.slice(T.perAddressFailures)).toEqual(Array(statuses.length - T.perAddressFailures).fill(429));
      // Another address is not held up by it.
      expect((await from("203.0.113.10", { email: owner.email, password: owner.password })).status).toBe(200);
    });

    it(`limits a recognised browser by its own failures (${T.perDeviceFailures} in ${T.windowMs / 60_000} minutes)`, async () => {
      const u = await user();
      let clock = Date.now();
      ctx.deps.now = () => clock;
      const device = deviceOf(await login({ email: u.email, password: u.password }));
      for (let i = 0; i < T.perDeviceFailures; i++) {
        expect((await login({ email: u.email, password: `typo ${i}` }, { cookie: device })).status).toBe(401);
      }
      expect((await login({ email: u.email, password: u.password }, { cookie: device })).status).toBe(429);
      clock += T.windowMs;
      expect((await login({ email: u.email, password: u.password }, { cookie: device })).status).toBe(200);
    });

    it("counts guesses sent in parallel, so a burst cannot all slip under the limit", async () => {
      const u = await user();
      const clock = Date.now();
      ctx.deps.now = () => clock;
      const burst = await Promise.all(Array.from({ length: T.freeFailures + 5 }, (_, i) => login({ email: u.email, password: `wrong password ${i}` })));
      const statuses = burst.map((r) => r.status);
      expect(statuses.filter((s) => s === 401)).toHaveLength(T.freeFailures);
      expect(statuses.filter((s) => s === 429)).toHaveLength(5);
    });

    it(`hashes at most ${passwordHashing.concurrency} passwords at once, whatever arrives in parallel`, async () => {
      const before = passwordHashing.peak;
      const burst = await Promise.all(Array.from({ length: 24 }, (_, i) => login({ email: `nobody-${i}@example.test`, password: "anything at all" })));
      expect(burst.map((r) => r.status)).toEqual(Array(24).fill(401));
      expect(Math.max(before, passwordHashing.peak)).toBe(passwordHashing.concurrency);
    });

    it("answers 503 with Retry-After, counting no failure, when more sign-ins wait to be checked than the queue holds", async () => {
      const u = await user();
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const hogs = Array.from({ length: passwordHashing.concurrency + passwordHashing.maxWaiting }, () => passwordHashing.run(() => gate));
      try {
        const busy = await login({ email: u.email, password: "wrong, but never checked" });
        expect(busy.status).toBe(503);
        expect(busy.headers.get("retry-after")).toBe("1");
        expect(((await busy.json()) as ErrorBody).error.code).toBe("unavailable");
      } finally {
        release();
        await Promise.all(hogs);
      }
      // Not judged, so not counted: a full budget of failures is still there.
      for (let i = 0; i < T.freeFailures; i++) expect((await login({ email: u.email, password: `guess ${i}` })).status).toBe(401);
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
    const cleared = res.headers
      .get("set-cookie")!
      .split(";")
      .map((a) => a.trim());
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
