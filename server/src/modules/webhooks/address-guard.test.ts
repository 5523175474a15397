import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from "node:net";
import { createServer, type Server } from "node:http";
import { uuidv7 } from "@seamtrace/sdk";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AddressGuard, parseAllowEntry } from "./address-guard.js";
import { guardedPost, NO_ANSWER } from "./guarded-post.js";
import { enqueueWebhookStatement } from "./store.js";
import { WebhookDispatcher } from "./dispatcher.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { call } from "../../../test-support/review-fixtures.js";

const strict = new AddressGuard();

describe("AddressGuard", () => {
  // Each as an admin would type it; the URL parser turns decimal, hex, octal and short IPv4
  // forms into the dotted quad, and the guard sees what the connection would use.
  const refused = [
    "http://127.0.0.1/",
    "http://127.255.255.254:8080/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0x7f.1/",
    "http://017700000001/",
    "http://127.1/",
    "http://0/",
    "http://0.0.0.0/",
    "http://10.0.0.1:6379/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://100.100.100.200/latest/meta-data",
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.170.2/v2/credentials",
    "http://192.0.0.192/",
    "http://198.18.0.1/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
    "http://[::1]/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[0:0:0:0:0:ffff:7f00:1]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[::127.0.0.1]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:7f00:1::]/",
    "http://[fd00:ec2::254]/",
    "http://[fc00::1]/",
    "http://[fe80::1]/",
    "http://[ff02::1]/",
    "http://localhost/",
    "http://LOCALHOST./",
    "http://api.localhost/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://metadata/",
    "http://instance-data/",
  ];
  for (const u of refused) {
    it(`refuses ${u}`, () => {
      expect(strict.urlProblem(new URL(u))).not.toBeNull();
    });
  }

  const allowed = [
    "https://hooks.example.com/x",
    "http://8.8.8.8/",
    "http://[2606:4700:4700::1111]/",
    "http://[::ffff:8.8.8.8]/",
    "http://[64:ff9b::808:808]/",
    "http://172.32.0.1/",
  ];
  for (const u of allowed) {
    it(`lets ${u} through`, () => {
      expect(strict.urlProblem(new URL(u))).toBeNull();
    });
  }

  it("lets listed addresses, ranges and host names through, and nothing beside them", () => {
    const dev = new AddressGuard(["127.0.0.1", "10.0.0.0/8", "::1", "Hooks.Internal"]);
    expect(dev.addressProblem("127.0.0.1")).toBeNull();
    expect(dev.addressProblem("::ffff:127.0.0.1")).toBeNull();
    expect(dev.addressProblem("10.200.3.4")).toBeNull();
    expect(dev.addressProblem("::1")).toBeNull();
    expect(dev.addressProblem("127.0.0.2")).not.toBeNull();
    expect(dev.addressProblem("169.254.169.254")).not.toBeNull();
    expect(dev.hostAllowed("hooks.internal.")).toBe(true);
    expect(dev.urlProblem(new URL("http://localhost/"))).not.toBeNull();
  });

  it("parses allow-list entries, and refuses what is none of address, range or host name", () => {
    expect(parseAllowEntry("10.0.0.0/8")).toEqual({ kind: "range", address: "10.0.0.0", prefix: 8, family: "ipv4" });
    expect(parseAllowEntry("fd00::/8")).toMatchObject({ kind: "range", prefix: 8, family: "ipv6" });
    expect(parseAllowEntry("localhost")).toEqual({ kind: "host", host: "localhost" });
    for (const bad of ["10.0.0.0/33", "::1/129", "a b", "http://x", "10.0.0.0/x", "host/8", ""]) expect(parseAllowEntry(bad), bad).toBeNull();
  });
});

/** A receiver on 127.0.0.1 that counts the requests it gets and answers `status`. */
async function receiver(status = 200, headers: Record<string, string> = {}) {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    req.resume();
    res.writeHead(status, headers).end("ok");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return { port, hits: () => hits, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe("webhook deliveries and private addresses", () => {
  let ctx: TestContext;
  const closers: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((c) => c()));
  });
  afterAll(() => ctx.close());

  async function adminOf() {
    const p = await ctx.newProject();
    return { ...p, admin: await ctx.newUser(p.projectId, "admin") };
  }

  /** A webhook row written as an older server would have kept it, with no check at registration; deliveries are queued separately. */
  async function storedHook(projectId: string, url: string): Promise<string> {
    const id = uuidv7();
    await ctx.store.client.execute({
      sql: "INSERT INTO webhooks (id, project_id, url, secret, events, created_at) VALUES (?, ?, ?, 'whsec_x', '[\"escalation.created\"]', 0)",
      args: [id, projectId, url],
    });
    return id;
  }

  async function lastAttempt(projectId: string, hookId: string) {
    const rs = await ctx.store.client.execute({
      sql: "SELECT status, last_error, last_status_code FROM webhook_deliveries WHERE project_id = ? AND webhook_id = ?",
      args: [projectId, hookId],
    });
    return { status: String(rs.rows[0]![0]), error: rs.rows[0]![1] as string | null, code: rs.rows[0]![2] as number | null };
  }

  it("refuses to register a webhook to a private, loopback or metadata address, with url_not_allowed", async () => {
    const { admin } = await adminOf();
    for (const url of [
      "http://169.254.169.254/latest/meta-data/",
      "http://metadata.google.internal/",
      "http://10.0.0.1:6379/",
      "http://0x7f000001/",
      "http://[::1]/",
    ]) {
      const res = await call<{ error: { code: string } }>(ctx, "POST", "/v1/webhooks", admin, { url, events: ["escalation.created"] });
      expect(res.status, url).toBe(400);
      expect(res.body.error.code).toBe("url_not_allowed");
    }
    const listed = await call<{ items: unknown[] }>(ctx, "GET", "/v1/webhooks", admin);
    expect(listed.body.items).toEqual([]);
  });

  it("refuses deliveries of webhooks stored before the check to loopback by name or by number, and sends them once allowed", async () => {
    const rx = await receiver();
    closers.push(rx.close);
    const { projectId } = await adminOf();
    const byName = await storedHook(projectId, `http://localhost:${rx.port}/hook`);
    const byDecimal = await storedHook(projectId, `http://2130706433:${rx.port}/hook`);
    await ctx.store.client.execute(enqueueWebhookStatement(projectId, "escalation.created", { escalationId: "e" }, 0));
    await new WebhookDispatcher(ctx.store, { now: () => 0 }).runOnce();
    expect(rx.hits()).toBe(0);
    for (const id of [byName, byDecimal]) expect((await lastAttempt(projectId, id)).error).toMatch(/^refused: .*SEAMTRACE_WEBHOOK_ALLOW/);

    // Allowed (local development): the address for the number, the name for the name.
    await new WebhookDispatcher(ctx.store, { now: () => 10 ** 12, allow: ["127.0.0.1", "::1", "localhost"] }).runOnce();
    expect(rx.hits()).toBe(2);
  });

  it("checks the addresses a name resolves to when it connects, and refuses the name if any one is refused", async () => {
    const rx = await receiver();
    closers.push(rx.close);
    // A resolver standing in for DNS, so the test talks to 127.0.0.1 only: first a name that
    // resolves to loopback alone, then one whose answer mixes a public and a loopback address.
    const answers = [
      [{ address: "127.0.0.1", family: 4 }],
      [
        { address: "93.184.216.34", family: 4 },
        { address: "127.0.0.1", family: 4 },
      ],
    ];
    const resolver = (_h: string, _o: unknown, cb: (e: null, a: Array<{ address: string; family: number }>) => void) => cb(null, answers.shift()!);
    const post = guardedPost(new AddressGuard(), resolver as never);
    for (const name of ["rebound.example", "mixed.example"]) {
      expect(await post(`http://${name}:${rx.port}/`, { headers: {}, body: "{}", timeoutMs: 5_000 })).toEqual({
        error: expect.stringMatching(new RegExp(`^refused: ${name} resolves to`)),
      });
    }
    expect(rx.hits()).toBe(0);
    // Allowed by address, the same lookup connects.
    const allowed = guardedPost(new AddressGuard(["127.0.0.1"]), ((
      _h: string,
      _o: unknown,
      cb: (e: null, a: Array<{ address: string; family: number }>) => void,
    ) => cb(null, [{ address: "127.0.0.1", family: 4 }])) as never);
    expect(await allowed(`http://rebound.example:${rx.port}/`, { headers: {}, body: "{}", timeoutMs: 5_000 })).toEqual({ status: 200 });
    expect(rx.hits()).toBe(1);
  });

  it("does not follow a redirect, and records it as a failed attempt", async () => {
    const inner = await receiver();
    closers.push(inner.close);
    const outer = await receiver(302, { location: `http://127.0.0.1:${inner.port}/inside` });
    closers.push(outer.close);
    const { projectId } = await adminOf();
    const id = await storedHook(projectId, `http://127.0.0.1:${outer.port}/hook`);
    await ctx.store.client.execute(enqueueWebhookStatement(projectId, "escalation.created", { escalationId: "e" }, 0));
    await new WebhookDispatcher(ctx.store, { now: () => 0, allow: ["127.0.0.1"] }).runOnce();
    expect(outer.hits()).toBe(1);
    expect(inner.hits()).toBe(0);
    expect(await lastAttempt(projectId, id)).toMatchObject({ status: "pending", code: 302, error: "HTTP 302 (redirects are not followed)" });
  });

  it("tells a closed port, a port that answers garbage and one that never answers apart by nothing", async () => {
    // Closed: a port that was listening a moment ago.
    const gone = await receiver();
    await gone.close();
    // Open, not HTTP: writes a banner and hangs up, as Redis or SSH would.
    const banner: TcpServer = createTcpServer((s) => {
      // Read what the client sends, so its hang-up is seen and the server can close.
      s.resume();
      s.end("-ERR unknown command\r\n");
    });
    await new Promise<void>((r) => banner.listen(0, "127.0.0.1", r));
    closers.push(() => new Promise<void>((r) => banner.close(() => r())));
    // Open and silent: accepts and never answers.
    const held = new Set<Socket>();
    const silent: TcpServer = createTcpServer((s) => void held.add(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    closers.push(
      () =>
        new Promise<void>((r) => {
          for (const s of held) s.destroy();
          silent.close(() => r());
        }),
    );
    const { projectId } = await adminOf();
    const ids: string[] = [];
    for (const port of [gone.port, (banner.address() as AddressInfo).port, (silent.address() as AddressInfo).port]) {
      ids.push(await storedHook(projectId, `http://127.0.0.1:${port}/`));
    }
    await ctx.store.client.execute(enqueueWebhookStatement(projectId, "escalation.created", { escalationId: "e" }, 0));
    await new WebhookDispatcher(ctx.store, { now: () => 0, allow: ["127.0.0.1"], timeoutMs: 1_000 }).runOnce();
    const logged = await Promise.all(ids.map((id) => lastAttempt(projectId, id)));
    expect(logged).toEqual(Array(3).fill({ status: "pending", code: null, error: NO_ANSWER }));
  });
});
