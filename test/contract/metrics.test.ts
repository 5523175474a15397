/**
 * `GET /metrics`: Prometheus text that a parser reads, whose counts move with ingest,
 * and who may read it.
 */
import parsePrometheusTextFormat, { type MetricFamily } from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { observeJobDuration } from "../../server/src/platform/metrics.js";
import { completedRun, dropped } from "../../server/test-support/events-fixtures.js";
import { escalatedRun, postBatches } from "../../server/test-support/review-fixtures.js";
import { createTestContext, type TestContext } from "../../server/test-support/testing.js";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

interface Scrape {
  families: MetricFamily[];
  text: string;
}

async function scrape(app = ctx.app, headers: Record<string, string> = {}): Promise<Scrape> {
  const res = await app.request("/metrics", { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  return { families: parsePrometheusTextFormat(text), text };
}

/** A counter's or gauge's value, from the parsed families. */
function sample({ families }: Scrape, name: string, labels: Record<string, string> = {}): number {
  const family = families.find((f) => f.name === name);
  const m = family?.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
  return m ? Number(m.value) : 0;
}

/**
 * A histogram's observation count, from its `_count` line: the parser keeps a labelled
 * histogram's buckets but drops its labels, so it cannot tell the series apart.
 */
function histogramCount({ text }: Scrape, name: string, labels: Record<string, string>): number {
  for (const line of text.split("\n")) {
    const m = /^(\w+)_count\{(.*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(m[3]);
  }
  return 0;
}

async function post(key: string, events: unknown[]) {
  return ctx.app.request("/v1/events", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${key}` },
    body: JSON.stringify({ events }),
  });
}

describe("GET /metrics", () => {
  it("parses as Prometheus text and names every metric family the server promises", async () => {
    const { families } = await scrape();
    const names = families.map((f) => f.name);
    for (const name of [
      "seamtrace_ingest_events_total",
      "seamtrace_ingest_rejections_total",
      "seamtrace_http_request_duration_seconds",
      "seamtrace_write_queue_pending_requests",
      "seamtrace_projection_lag_events",
      "seamtrace_projection_lag_seconds",
      "seamtrace_escalations_open",
      "seamtrace_job_duration_seconds",
      "process_cpu_seconds_total",
    ]) {
      expect(names, name).toContain(name);
    }
    expect(families.find((f) => f.name === "seamtrace_http_request_duration_seconds")!.type).toBe("HISTOGRAM");
  });

  it("counts accepted, duplicate and rejected events, and rejections by code", async () => {
    const { key } = await ctx.newProject();
    const before = await scrape();
    const { events } = completedRun();
    await post(key, events);
    await post(key, [events[0], { ...dropped(), count: -1 }, "nonsense"]);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta("seamtrace_ingest_events_total", { route: "events", outcome: "accepted" })).toBe(events.length);
    expect(delta("seamtrace_ingest_events_total", { route: "events", outcome: "duplicate" })).toBe(1);
    expect(delta("seamtrace_ingest_events_total", { route: "events", outcome: "rejected" })).toBe(2);
    expect(delta("seamtrace_ingest_rejections_total", { route: "events", code: "invalid_event" })).toBe(2);
  });

  it("times requests by route pattern, not by path", async () => {
    const { key } = await ctx.newProject();
    const before = await scrape();
    await ctx.app.request("/v1/runs/0190f0a0-0000-7000-8000-000000000009", { headers: { Authorization: `Bearer ${key}` } });
    const after = await scrape();
    const labels = { method: "GET", route: "/v1/runs/:id", status: "4xx" };
    const name = "seamtrace_http_request_duration_seconds";
    expect(histogramCount(after, name, labels) - histogramCount(before, name, labels)).toBe(1);
  });

  it("shows open escalations and the job durations the scheduler reports", async () => {
    const { key } = await ctx.newProject();
    const before = await scrape();
    await postBatches(ctx, key, escalatedRun().batches);
    await ctx.deps.projector.sync();
    observeJobDuration("calibration", 1.5);
    const after = await scrape();
    const labels = { job: "calibration", outcome: "ok" };
    expect(histogramCount(after, "seamtrace_job_duration_seconds", labels) - histogramCount(before, "seamtrace_job_duration_seconds", labels)).toBe(1);
    expect(sample(after, "seamtrace_escalations_open", { kind: "escalate" }) - sample(before, "seamtrace_escalations_open", { kind: "escalate" })).toBe(1);
  });

  it("is refused on a non-loopback bind without a token, and needs the token when one is set", async () => {
    const exposed = await createTestContext({ HOST: "0.0.0.0" });
    const guarded = await createTestContext({ SEAMTRACE_METRICS_TOKEN: "t".repeat(24) });
    try {
      expect((await exposed.app.request("/metrics")).status).toBe(403);
      expect((await guarded.app.request("/metrics")).status).toBe(401);
      expect((await guarded.app.request("/metrics", { headers: { Authorization: `Bearer ${"x".repeat(24)}` } })).status).toBe(401);
      await scrape(guarded.app, { Authorization: `Bearer ${"t".repeat(24)}` });
    } finally {
      exposed.close();
      guarded.close();
    }
  });
});

describe("projection lag in GET /metrics", () => {
  it("counts acknowledged events the projector has not folded, with their age, and 0 once it catches up", async () => {
    const lagCtx = await createTestContext();
    try {
      // A closed projector schedules no pass of its own: the events wait until sync().
      await lagCtx.deps.projector.close();
      const { key } = await lagCtx.newProject();
      const receivedAt = Date.parse("2026-03-01T12:00:00Z");
      lagCtx.deps.now = () => receivedAt;
      const { events } = completedRun();
      const res = await lagCtx.app.request("/v1/events", {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${key}` },
        body: JSON.stringify({ events }),
      });
      expect(res.status).toBe(200);
      lagCtx.deps.now = () => receivedAt + 42_000;
      const waiting = await scrape(lagCtx.app);
      expect(sample(waiting, "seamtrace_projection_lag_events")).toBe(events.length);
      expect(sample(waiting, "seamtrace_projection_lag_seconds")).toBe(42);

      await lagCtx.deps.projector.sync();
      const caughtUp = await scrape(lagCtx.app);
      expect(sample(caughtUp, "seamtrace_projection_lag_events")).toBe(0);
      expect(sample(caughtUp, "seamtrace_projection_lag_seconds")).toBe(0);
    } finally {
      lagCtx.close();
    }
  });
});
