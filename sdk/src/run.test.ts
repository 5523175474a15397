import { describe, expect, it } from "vitest";
import { Run, RunStoppedError } from "./run.js";
import type { SeamtraceEvent, StepEvent } from "./types.js";

function newRun() {
  const events: SeamtraceEvent[] = [];
  // What the transport sends: the JSON form, made at flush time.
  const run = new Run({ runId: "0190a000-0000-7000-8000-000000000001", workflow: "wf", version: "2" }, (e) =>
    events.push(JSON.parse(JSON.stringify("toWire" in e ? e.toWire() : e))),
  );
  const steps = () => events.filter((e): e is StepEvent => e.type === "step.completed" || e.type === "step.failed");
  return { run, events, steps };
}

describe("run.step", () => {
  it("records value, confidence, lineage and cumulative confidence on a chain", async () => {
    const { run, steps } = newRun();
    const a = await run.step("a", { input: { x: 1 } }, () => ({ value: "A", confidence: 0.9, reasoning: "because", alternatives: ["B"] }));
    const b = await run.step("b", { from: [a] }, async () => ({ value: 2, confidence: 0.5 }));
    expect(a.cumulative).toBeCloseTo(0.9, 12);
    expect(b.cumulative).toBeCloseTo(0.45, 12);
    const [ea, eb] = steps();
    expect(ea).toMatchObject({
      type: "step.completed",
      step: "a",
      input: { x: 1 },
      output: "A",
      confidence: 0.9,
      reasoning: "because",
      alternatives: ["B"],
      parents: [],
      attempt: 1,
      workflow: "wf",
      version: "2",
    });
    expect(eb).toMatchObject({ step: "b", parents: [a.stepId], output: 2, confidence: 0.5 });
    expect(eb!.cumulative).toBeCloseTo(0.45, 12);
  });

  it("counts a diamond's shared ancestor once in cumulative confidence", async () => {
    const { run, steps } = newRun();
    const a = await run.step("a", () => ({ value: 1, confidence: 0.9 }));
    const [b, c] = await Promise.all([
      run.step("b", { from: [a] }, async () => ({ value: 2, confidence: 0.8 })),
      run.step("c", { from: [a] }, async () => ({ value: 3, confidence: 0.7 })),
    ]);
    const d = await run.step("d", { from: [b, c] }, () => ({ value: 4, confidence: 0.6 }));
    expect(d.cumulative).toBeCloseTo(0.6 * 0.8 * 0.7 * 0.9, 12);
    expect(
      steps()
        .find((e) => e.step === "d")!
        .parents.sort(),
    ).toEqual([b.stepId, c.stepId].sort());
  });

  it("leaves a step that gives no confidence unscored: undefined on the handle, absent on the wire, neutral in cumulative", async () => {
    const { run, steps } = newRun();
    const h = await run.step("lookup", { source: "direct" }, () => ({ value: 7 }));
    expect(h.confidence).toBeUndefined();
    expect(h.cumulative).toBe(1);
    expect("confidence" in steps()[0]!).toBe(false);
    expect(steps()[0]!.source).toBe("direct");
    expect(JSON.parse(JSON.stringify(h))).not.toHaveProperty("confidence");
    // Between two scored steps it counts as 1, and its own ancestors still count.
    const a = await run.step("a", () => ({ value: 1, confidence: 0.9 }));
    const b = await run.step("b", { from: [a] }, () => ({ value: 2 }));
    const c = await run.step("c", { from: [b] }, () => ({ value: 3, confidence: 0.8 }));
    const d = await run.step("d", { from: [b, c] }, () => ({ value: 4, confidence: 0.5 }));
    expect(b.cumulative).toBeCloseTo(0.9, 12);
    expect(c.cumulative).toBeCloseTo(0.72, 12);
    expect(d.cumulative).toBeCloseTo(0.5 * 0.8 * 0.9, 12);
    expect(steps().find((e) => e.step === "b")).toMatchObject({ cumulative: 0.9 });
  });

  it("marks an output stale from observedAt and maxAgeMs", async () => {
    const { run, steps } = newRun();
    const fresh = await run.step("fresh", { maxAgeMs: 60_000, observedAt: new Date() }, () => ({ value: 1 }));
    expect(fresh.stale).toBe(false);
    // A stale output fails its gate (kind `stale`, see gates.test.ts), so it is read from its event.
    await expect(run.step("old", { maxAgeMs: 1_000 }, () => ({ value: 1, observedAt: Date.now() - 5_000 }))).rejects.toBeInstanceOf(RunStoppedError);
    expect(steps()[0]).toMatchObject({ step: "fresh", stale: false, maxAgeMs: 60_000 });
    expect(steps()[1]).toMatchObject({ step: "old", stale: true, maxAgeMs: 1_000 });
    expect(typeof steps()[1]!.observedAt).toBe("string");
  });

  it("merges step-option and returned features", async () => {
    const { run, steps } = newRun();
    await run.step("x", { features: { region: "eu", amount: 1 } }, () => ({ value: 1, features: { amount: 1200 } }));
    expect(steps()[0]!.features).toEqual({ region: "eu", amount: 1200 });
  });

  it("retries thrown errors and records the earlier attempts' errors", async () => {
    const { run, steps } = newRun();
    let calls = 0;
    const h = await run.step("flaky", { retry: { attempts: 3, backoffMs: 1 } }, (ctx) => {
      calls++;
      if (ctx.attempt < 3) throw new Error(`boom ${ctx.attempt}`);
      return { value: "ok", confidence: 1 };
    });
    expect(h.value).toBe("ok");
    expect(calls).toBe(3);
    expect(steps()[0]).toMatchObject({ attempt: 3, attemptErrors: [{ message: "boom 1" }, { message: "boom 2" }] });
  });

  it("fails and explains after the last attempt, and runs nothing downstream", async () => {
    const { run, steps } = newRun();
    let downstreamCalled = false;
    await expect(
      run.step("bad", { retry: { attempts: 2 } }, () => {
        throw new TypeError("no field");
      }),
    ).rejects.toBeInstanceOf(RunStoppedError);
    // Even user code that swallows the error cannot continue the run.
    await expect(run.step("next", () => ((downstreamCalled = true), { value: 1 }))).rejects.toBeInstanceOf(RunStoppedError);
    expect(downstreamCalled).toBe(false);
    expect(run.failure).toMatchObject({ step: "bad", attempts: 2, error: { name: "TypeError", message: "no field" } });
    expect(steps()).toHaveLength(1);
    expect(steps()[0]).toMatchObject({ type: "step.failed", attempt: 2, error: { message: "no field" }, attemptErrors: [{ message: "no field" }] });
  });

  it("keeps the step's input, freshness and features on a failed step's event", async () => {
    const { run, steps } = newRun();
    const observedAt = new Date(Date.now() - 1_000);
    await expect(
      run.step("lookup", { input: { no: 7 }, observedAt, maxAgeMs: 60_000, features: { region: "eu" } }, () => {
        throw new Error("down");
      }),
    ).rejects.toBeInstanceOf(RunStoppedError);
    expect(steps()[0]).toMatchObject({
      type: "step.failed",
      input: { no: 7 },
      observedAt: observedAt.toISOString(),
      maxAgeMs: 60_000,
      features: { region: "eu" },
    });
  });

  it("fails an attempt that exceeds timeoutMs and aborts its signal", async () => {
    const { run } = newRun();
    let aborted = false;
    await expect(
      run.step("slow", { timeoutMs: 20 }, (ctx) => {
        ctx.signal!.addEventListener("abort", () => (aborted = true));
        return new Promise<never>(() => {});
      }),
    ).rejects.toBeInstanceOf(RunStoppedError);
    expect(aborted).toBe(true);
    expect(run.failure?.error.name).toBe("StepTimeoutError");
  });

  it("flags outputs that rest on a flagged parent", async () => {
    const { run } = newRun();
    const a = await run.step("a", () => ({ value: 1, confidence: 0.9 }));
    // Flagging itself arrives with gates; lineage propagation is already in place.
    Object.defineProperty(a, "flagged", { value: true });
    const b = await run.step("b", { from: [a] }, () => ({ value: 2, confidence: 0.9 }));
    const c = await run.step("c", { from: [b] }, () => ({ value: 3, confidence: 0.9 }));
    expect(b.flagged).toBe(true);
    expect(c.flagged).toBe(true);
  });

  it("hands on a confidence of exactly 0 or 1 as given", async () => {
    const { run } = newRun();
    expect((await run.step("zero", () => ({ value: 1, confidence: 0 }))).confidence).toBe(0);
    expect((await run.step("one", () => ({ value: 1, confidence: 1 }))).confidence).toBe(1);
  });

  it("treats a return without `value` as the value itself", async () => {
    const { run } = newRun();
    const h = await run.step<unknown>("raw", () => 42 as never);
    expect(h.value).toBe(42);
  });

  it("serialises a handle without its lineage graph", async () => {
    const { run } = newRun();
    const a = await run.step("a", () => ({ value: 1, confidence: 0.5 }));
    const b = await run.step("b", { from: [a] }, () => ({ value: 2, confidence: 0.5 }));
    expect(JSON.parse(JSON.stringify(b))).toEqual({
      name: "b",
      stepId: b.stepId,
      value: 2,
      confidence: 0.5,
      cumulative: 0.25,
      source: "inferred",
      stale: false,
      flagged: false,
    });
  });
});

describe("step interceptor (internal, for chaos runs)", () => {
  it("wraps each step's function with the run, step name and call, and the gates judge what it returns", async () => {
    const seen: string[] = [];
    const events: SeamtraceEvent[] = [];
    const run = new Run(
      { runId: "0190a000-0000-7000-8000-000000000002", workflow: "wf", version: "1" },
      (e) => events.push(JSON.parse(JSON.stringify("toWire" in e ? e.toWire() : e))),
      {
        policies: { ruleFor: (_w, _s, wf) => wf ?? {} },
        policy: { minConfidence: 0.5, onLow: "escalate" },
        random: () => 1,
        contractsSent: new Set(),
        intercept: (id, step, call, _opts, fn) => {
          seen.push(`${id.workflow}:${step}#${call}`);
          return step === "b" ? async (ctx) => ({ ...(await fn(ctx)), confidence: 0.1 }) as never : fn;
        },
      },
    );
    const a = await run.step("a", () => ({ value: 1, confidence: 0.9 }));
    await expect(run.step("b", { from: [a] }, () => ({ value: 2, confidence: 0.9 }))).rejects.toBeInstanceOf(RunStoppedError);
    expect(seen).toEqual(["wf:a#0", "wf:b#0"]);
    const b = events.find((e): e is StepEvent => e.type === "step.completed" && e.step === "b")!;
    expect(b.confidence).toBe(0.1);
    expect(b.gate?.outcome).toBe("escalate");
  });
});
