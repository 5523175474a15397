import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { signWebhook, WebhookDispatcher } from "./dispatcher.js";
import { slackBody } from "./slack-body.js";
import { enqueueWebhookStatement, type WebhookEvent } from "./store.js";

const envelope = (event: string, data: Record<string, unknown>) => JSON.stringify({ id: "d1", event, createdAt: "2025-06-01T10:00:00.000Z", data });
const ref = { escalationId: "esc-1", workflow: "claims", step: "reserve", reviewGroup: "motor", blocking: true, dueAt: "2025-06-01T12:00:00.000Z" };

describe("the Slack-compatible body", () => {
  it.each([
    ["escalation.created", {}, "New escalation to review: claims · reserve (group motor), due 2025-06-01T12:00:00.000Z"],
    ["escalation.disputed", {}, "Reviewers disagree on claims · reserve (group motor): an adjudicator decides now"],
    ["review.due", {}, "Review past half its deadline: claims · reserve (group motor), due 2025-06-01T12:00:00.000Z"],
    [
      "review.expired",
      { onExpiry: "reassign", nextDueAt: "2025-06-01T14:00:00.000Z" },
      "Review deadline passed: claims · reserve (group motor); reassigned, now due 2025-06-01T14:00:00.000Z",
    ],
    ["review.expired", { onExpiry: "reject" }, "Review deadline passed: claims · reserve (group motor); settled by the policy (reject)"],
    ["escalation.resolved", { decision: "accept", resolution: "consensus" }, "Review settled: claims · reserve (group motor): accept (consensus)"],
  ])("%s says what happened and links to the review screen", (event, extra, text) => {
    const body = JSON.parse(slackBody(envelope(event, { ...ref, ...extra }), "https://seamtrace.example.com/")) as { text: string };
    expect(body).toEqual({ text: `${text} <https://seamtrace.example.com/review/esc-1|Open the review>` });
  });

  it("escapes Slack's markup in names, so a step name cannot forge a link", () => {
    const { text } = JSON.parse(slackBody(envelope("review.due", { ...ref, step: "<https://evil.example|click> & more" }), "https://s.example")) as {
      text: string;
    };
    expect(text).toContain("&lt;https://evil.example|click&gt; &amp; more");
    expect(text.match(/</g)).toHaveLength(1);
  });

  it("still names the event for one that is not about a review", () => {
    expect(JSON.parse(slackBody(envelope("alert.fired", { metric: "x" }), "https://s.example"))).toEqual({ text: "Seamtrace alert.fired" });
  });
});

describe("a webhook with format slack", () => {
  let ctx: TestContext;
  const received: Array<{ headers: IncomingMessage["headers"]; body: string }> = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.end("ok");
    });
  });
  beforeAll(async () => {
    ctx = await createTestContext({ SEAMTRACE_WEBHOOK_ALLOW: "127.0.0.1" }); // the receiver is on loopback
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  });
  afterAll(async () => {
    ctx.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it("is created through the API and gets the Slack body, signed like the JSON one, while a JSON webhook gets the envelope", async () => {
    const p = await ctx.newProject();
    const { cookie } = await ctx.newUser(p.projectId, "admin");
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const create = async (format?: string) => {
      const res = await ctx.app.request("/v1/webhooks", {
        method: "POST",
        headers: { cookie, "content-type": "application/json" },
        body: JSON.stringify({ url, events: ["escalation.disputed"], ...(format ? { format } : {}) }),
      });
      expect(res.status).toBe(201);
      return (await res.json()) as { id: string; secret: string; format: string };
    };
    const slack = await create("slack");
    const json = await create();
    expect([slack.format, json.format]).toEqual(["slack", "json"]);
    expect(
      (
        await ctx.app.request("/v1/webhooks", {
          method: "POST",
          headers: { cookie, "content-type": "application/json" },
          body: JSON.stringify({ url, events: ["review.due"], format: "teams" }),
        })
      ).status,
    ).toBe(400);

    const now = Date.now();
    await ctx.store.client.execute(enqueueWebhookStatement(p.projectId, "escalation.disputed" satisfies WebhookEvent, ref, now));
    await new WebhookDispatcher(ctx.store, { now: () => now, publicUrl: "https://seamtrace.example.com", allow: ["127.0.0.1"] }).runOnce();
    expect(received).toHaveLength(2);
    const bySecret = (secret: string) => received.find((r) => r.headers["seamtrace-signature"] === signWebhook(secret, r.body, Math.floor(now / 1000)))!;
    expect(JSON.parse(bySecret(slack.secret).body)).toEqual({
      text: "Reviewers disagree on claims · reserve (group motor): an adjudicator decides now <https://seamtrace.example.com/review/esc-1|Open the review>",
    });
    expect(JSON.parse(bySecret(json.secret).body)).toMatchObject({ event: "escalation.disputed", data: ref });
  });
});
