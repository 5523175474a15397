import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { enqueueWebhookStatement } from "./store.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { signWebhook, WebhookDispatcher } from "./dispatcher.js";

interface Received {
  headers: IncomingMessage["headers"];
  body: string;
}

/** A real receiver on 127.0.0.1 that answers with the statuses it is given, in turn. */
async function receiver(statuses: number[]) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.statusCode = statuses.shift() ?? 200;
      res.end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

let ctx: TestContext;
let closers: Array<() => Promise<void>> = [];
beforeAll(async () => {
  // The receivers listen on loopback, which webhooks may call only when allowed.
  ctx = await createTestContext({ SEAMTRACE_WEBHOOK_ALLOW: "127.0.0.1" });
});
afterEach(async () => {
  await Promise.all(closers.map((c) => c()));
  closers = [];
});
afterAll(() => ctx.close());

async function admin() {
  const p = await ctx.newProject();
  const u = await ctx.newUser(p.projectId, "admin");
  return { ...p, cookie: u.cookie };
}

async function addHook(cookie: string, url: string, events = ["escalation.created", "escalation.resolved"]) {
  const res = await ctx.app.request("/v1/webhooks", {
    method: "POST",
    headers: { cookie, "content-type": "application/json" },
    body: JSON.stringify({ url, events }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; secret: string };
}

async function enqueue(projectId: string, event: "escalation.created" | "escalation.resolved", data: unknown, now: number) {
  await ctx.store.client.execute(enqueueWebhookStatement(projectId, event, data, now));
}

describe("webhooks", () => {
  it("delivers a signed JSON POST that the receiver can verify", async () => {
    const rx = await receiver([200]);
    closers.push(rx.close);
    const { projectId, cookie } = await admin();
    const hook = await addHook(cookie, rx.url);
    const now = Date.now();
    await enqueue(projectId, "escalation.created", { escalationId: "e1", runId: "r1" }, now);
    const dispatcher = new WebhookDispatcher(ctx.store, { now: () => now, allow: ctx.config.webhooks.allow });
    expect(await dispatcher.runOnce()).toBe(1);

    expect(rx.received).toHaveLength(1);
    const { headers, body } = rx.received[0]!;
    expect(headers["content-type"]).toBe("application/json");
    expect(headers["seamtrace-event"]).toBe("escalation.created");
    const [t, v1] = String(headers["seamtrace-signature"])
      .split(",")
      .map((p) => p.split("=")[1]!);
    const expected = createHmac("sha256", hook.secret).update(`${t}.${body}`).digest("hex");
    expect(v1).toBe(expected);
    expect(signWebhook(hook.secret, body, Number(t))).toBe(headers["seamtrace-signature"]);
    expect(JSON.parse(body)).toMatchObject({ event: "escalation.created", data: { escalationId: "e1", runId: "r1" } });

    const log = await ctx.app.request(`/v1/webhooks/${hook.id}/deliveries`, { headers: { cookie } });
    const items = ((await log.json()) as { items: Array<{ status: string; attempts: number; lastStatusCode: number }> }).items;
    expect(items).toEqual([expect.objectContaining({ status: "delivered", attempts: 1, lastStatusCode: 200 })]);
    // Delivered means done: nothing is sent twice.
    expect(await dispatcher.runOnce()).toBe(0);
  });

  it("retries failures with growing backoff, logs each attempt, and gives up after the last", async () => {
    const rx = await receiver([500, 503, 200]);
    closers.push(rx.close);
    const { projectId, cookie } = await admin();
    const hook = await addHook(cookie, rx.url);
    let now = Date.now();
    await enqueue(projectId, "escalation.resolved", { escalationId: "e2" }, now);
    const dispatcher = new WebhookDispatcher(ctx.store, { now: () => now, backoffMs: 1_000, random: () => 1, allow: ctx.config.webhooks.allow });

    expect(await dispatcher.runOnce()).toBe(1); // 500
    expect(await dispatcher.runOnce()).toBe(0); // not due before its backoff
    now += 1_000;
    expect(await dispatcher.runOnce()).toBe(1); // 503
    now += 1_999;
    expect(await dispatcher.runOnce()).toBe(0); // the second wait is twice the first
    now += 1;
    expect(await dispatcher.runOnce()).toBe(1); // 200
    expect(rx.received).toHaveLength(3);
    const log = (await (await ctx.app.request(`/v1/webhooks/${hook.id}/deliveries`, { headers: { cookie } })).json()) as {
      items: Array<{ status: string; attempts: number; lastStatusCode: number }>;
    };
    expect(log.items[0]).toMatchObject({ status: "delivered", attempts: 3, lastStatusCode: 200 });

    const down = await receiver([500, 500]);
    closers.push(down.close);
    const p2 = await admin();
    const hook2 = await addHook(p2.cookie, down.url);
    await enqueue(p2.projectId, "escalation.created", { escalationId: "e3" }, now);
    const giveUp = new WebhookDispatcher(ctx.store, { now: () => now, backoffMs: 1, maxAttempts: 2, random: () => 1, allow: ctx.config.webhooks.allow });
    await giveUp.runOnce();
    now += 10;
    await giveUp.runOnce();
    now += 10;
    expect(await giveUp.runOnce()).toBe(0);
    const log2 = (await (await ctx.app.request(`/v1/webhooks/${hook2.id}/deliveries`, { headers: { cookie: p2.cookie } })).json()) as {
      items: Array<{ status: string; attempts: number; lastError: string }>;
    };
    expect(log2.items[0]).toMatchObject({ status: "failed", attempts: 2, lastError: "HTTP 500" });
  });

  it("sends only the events a webhook subscribed to, and nothing once disabled", async () => {
    const rx = await receiver([]);
    closers.push(rx.close);
    const { projectId, cookie } = await admin();
    const hook = await addHook(cookie, rx.url, ["escalation.resolved"]);
    const now = Date.now();
    await enqueue(projectId, "escalation.created", { escalationId: "x" }, now);
    const dispatcher = new WebhookDispatcher(ctx.store, { now: () => now, allow: ctx.config.webhooks.allow });
    expect(await dispatcher.runOnce()).toBe(0);
    const del = await ctx.app.request(`/v1/webhooks/${hook.id}`, { method: "DELETE", headers: { cookie } });
    expect(del.status).toBe(204);
    await enqueue(projectId, "escalation.resolved", { escalationId: "y" }, now);
    expect(await dispatcher.runOnce()).toBe(0);
    expect(rx.received).toHaveLength(0);
  });

  it("is for admins of the project only, and takes only http(s) URLs", async () => {
    const { projectId, cookie } = await admin();
    const reviewer = await ctx.newUser(projectId, "reviewer");
    const forbidden = await ctx.app.request("/v1/webhooks", {
      method: "POST",
      headers: { cookie: reviewer.cookie, "content-type": "application/json" },
      body: JSON.stringify({ url: "http://127.0.0.1:1/x", events: ["escalation.created"] }),
    });
    expect(forbidden.status).toBe(403);
    const bad = await ctx.app.request("/v1/webhooks", {
      method: "POST",
      headers: { cookie, "content-type": "application/json" },
      body: JSON.stringify({ url: "file:///etc/passwd", events: ["escalation.created"] }),
    });
    expect(bad.status).toBe(400);
    const other = await admin();
    const hook = await addHook(cookie, "http://127.0.0.1:1/x");
    expect((await ctx.app.request(`/v1/webhooks/${hook.id}/deliveries`, { headers: { cookie: other.cookie } })).status).toBe(404);
    expect((await ctx.app.request(`/v1/webhooks/${hook.id}`, { method: "DELETE", headers: { cookie: other.cookie } })).status).toBe(404);
  });
});
