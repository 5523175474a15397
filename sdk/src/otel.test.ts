// The spans `withTracer` makes say what the step said, and nothing it did not: an unscored step's
// span has no `seamtrace.confidence` (neither a 1 nor a 0 it never gave), a failed one the error.
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { Seamtrace } from "./client.js";
import { withTracer } from "./otel.js";
import type { RequestFn } from "./transport-types.js";

const accept: RequestFn = async () => ({ status: 200, headers: { get: () => null }, text: async () => '{"results":[]}' });

describe("withTracer", () => {
  it("sets seamtrace.confidence on scored steps only, and records an invalid confidence as the step's error", async () => {
    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
    const st = new Seamtrace({ endpoint: "http://collector.test", request: accept, logger: false });
    const wf = withTracer(st.workflow("claims"), provider.getTracer("test"));
    const ok = await wf.run({}, async (run) => {
      const a = await run.step("scored", () => ({ value: 1, confidence: 0.7 }));
      return (await run.step("unscored", { from: [a] }, () => ({ value: 2 }))).value;
    });
    expect(ok.status).toBe("completed");
    const bad = await wf.run({}, async (run) => (await run.step("percent", () => ({ value: 1, confidence: 70 }))).value);
    expect(bad.status).toBe("failed");
    await st.shutdown();
    const spans = Object.fromEntries(memory.getFinishedSpans().map((s) => [s.name, s]));
    expect(spans.scored!.attributes["seamtrace.confidence"]).toBe(0.7);
    expect(spans.unscored!.attributes).not.toHaveProperty("seamtrace.confidence");
    expect(spans.unscored!.attributes["seamtrace.cumulative"]).toBe(0.7);
    expect(spans.percent!.status.message).toMatch(/^step "percent" returned confidence 70/);
    expect(spans.percent!.events.map((e) => e.attributes?.["exception.type"])).toEqual(["InvalidConfidence"]);
    await provider.shutdown();
  });
});
