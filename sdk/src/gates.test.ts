// Gates at every handoff, as a host application meets them: `new Seamtrace({ request })`, a
// workflow with a policy, a run. The collector is an injected request function that records
// what was sent, so each test reads the events a reviewer would get.
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Seamtrace, type SeamtraceOptions } from "./client.js";
import type { StandardSchemaV1 } from "./contract.js";
import type { PolicySource } from "./gate.js";
import { RunStoppedError, type StepHandle } from "./run.js";
import { seededRandom } from "./sampling.js";
import type { RequestFn } from "./transport-types.js";
import type { PolicyRule, RunEndedEvent, SeamtraceEvent, StepEvent } from "./types.js";
import { isUuid } from "./uuid.js";

function harness(extra: Partial<SeamtraceOptions> = {}) {
  const sent: SeamtraceEvent[] = [];
  const request: RequestFn = async (_url, init) => {
    const body = typeof init.body === "string" ? init.body : new TextDecoder().decode(init.body);
    const events = (JSON.parse(body) as { events: SeamtraceEvent[] }).events;
    sent.push(...events);
    const results = events.map((e) => ({ id: e.id, status: "accepted" }));
    return { status: 200, headers: { get: () => null }, text: async () => JSON.stringify({ results }) };
  };
  const st = new Seamtrace({
    endpoint: "http://collector.test",
    request,
    transport: { flushIntervalMs: 60_000, gzip: false, maxBufferEvents: 100_000 },
    ...extra,
  });
  const events = async () => {
    await st.flush();
    return sent;
  };
  const steps = async () => (await events()).filter((e): e is StepEvent => e.type === "step.completed" || e.type === "step.failed");
  const step = async (name: string) => (await steps()).find((e) => e.step === name);
  return { st, sent, events, steps, step };
}

async function until(cond: () => boolean, what: string, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe("escalate", () => {
  it("stops the run at a low-confidence step: no downstream user function is called, even if user code catches", async () => {
    const h = harness();
    const wf = h.st.workflow("claims", { version: "3", policy: { minConfidence: 0.8 } });
    const called: string[] = [];
    let caught: unknown;
    let lowStepId = "";

    const result = await wf.run({ input: { claim: 1 } }, async (run) => {
      const a = await run.step("extract", () => (called.push("extract"), { value: { amount: 120 }, confidence: 0.9 }));
      try {
        await run.step("classify", { from: [a] }, (ctx) => {
          called.push("classify");
          lowStepId = ctx.stepId;
          return { value: "auto", confidence: 0.6 };
        });
      } catch (err) {
        caught = err; // careless user code swallows the stop ...
      }
      // ... and cannot go on regardless.
      await run.step("route", { from: [a] }, () => (called.push("route"), { value: "queue-1" }));
      called.push("after route");
      return "unreachable";
    });

    expect(called).toEqual(["extract", "classify"]);
    expect(caught).toBeInstanceOf(RunStoppedError);
    expect(caught).toMatchObject({ reason: "escalated", stepName: "classify" });
    expect(result).toEqual({
      status: "escalated",
      runId: expect.any(String),
      escalation: { id: expect.any(String), step: "classify", stepId: lowStepId, kinds: ["confidence"] },
    });
    expect(isUuid(result.escalation!.id)).toBe(true);
    expect(result.output).toBeUndefined();

    const events = await h.events();
    expect(events.map((e) => e.type)).toEqual(["run.started", "step.completed", "step.completed", "run.paused"]);
    const classify = await h.step("classify");
    expect(classify).toMatchObject({
      stepId: lowStepId,
      output: "auto",
      confidence: 0.6,
      escalationId: result.escalation!.id,
      gate: { outcome: "escalate", kinds: ["confidence"], minConfidence: 0.8 },
    });
    expect((await h.step("extract"))!.gate).toEqual({ outcome: "pass", kinds: [], minConfidence: 0.8 });
    expect((await h.step("extract"))!.escalationId).toBeUndefined();
    const paused = events.find((e) => e.type === "run.paused") as RunEndedEvent;
    expect(paused).toMatchObject({ runId: result.runId, stepId: lowStepId, escalationId: result.escalation!.id });
    await h.st.shutdown();
  });

  it("stays escalated when user code turns the stop into an error of its own", async () => {
    const h = harness();
    const wf = h.st.workflow("claims", { policy: { minConfidence: 0.8 } });
    const result = await wf.run({}, async (run) => {
      try {
        await run.step("extract", () => ({ value: 1, confidence: 0.1 }));
      } catch {
        throw new Error("extraction failed"); // not a step failure: the run is waiting on a review
      }
    });
    expect(result).toMatchObject({ status: "escalated", escalation: { step: "extract", kinds: ["confidence"] } });
    expect((await h.events()).map((e) => e.type)).toEqual(["run.started", "step.completed", "run.paused"]);
    await h.st.shutdown();
  });

  it("sends the escalation to the collector promptly, without waiting for the flush interval", async () => {
    const h = harness(); // flushIntervalMs: 60 s
    const wf = h.st.workflow("claims", { policy: { minConfidence: 0.8 } });
    const result = await wf.run({}, async (run) => run.step("extract", () => ({ value: 1, confidence: 0.1 })));
    expect(result.status).toBe("escalated");
    await until(() => h.sent.some((e) => e.type === "run.paused"), "the escalation to be sent");
    expect(h.sent.map((e) => e.type)).toEqual(["run.started", "step.completed", "run.paused"]);
    await h.st.shutdown();
  });

  it("trips the cumulative gate at the join of a diamond although every own confidence passes", async () => {
    const h = harness();
    const wf = h.st.workflow("claims", { policy: { minConfidence: 0.8, minCumulative: 0.6 } });
    let afterJoin = false;
    const handles: Record<string, StepHandle<number>> = {};
    const result = await wf.run({}, async (run) => {
      const a = (handles.a = await run.step("a", () => ({ value: 1, confidence: 0.9 })));
      const [b, c] = await Promise.all([
        run.step("b", { from: [a] }, async () => ({ value: 2, confidence: 0.85 })),
        run.step("c", { from: [a] }, async () => ({ value: 3, confidence: 0.85 })),
      ]);
      Object.assign(handles, { b, c });
      const d = await run.step("d", { from: [b, c] }, () => ({ value: 4, confidence: 0.9 }));
      await run.step("e", { from: [d] }, () => ((afterJoin = true), { value: 5 }));
    });

    // b and c pass on their own (0.9 × 0.85 = 0.765); d is 0.9 × 0.85 × 0.85 × 0.9 = 0.585 < 0.6
    // with `a` counted once.
    expect(handles.b!.cumulative).toBeGreaterThanOrEqual(0.6);
    expect(result).toMatchObject({ status: "escalated", escalation: { step: "d", kinds: ["cumulative"] } });
    expect(afterJoin).toBe(false);
    const d = await h.step("d");
    expect(d!.cumulative).toBeCloseTo(0.9 * 0.85 * 0.85 * 0.9, 12);
    expect(d!.gate).toEqual({ outcome: "escalate", kinds: ["cumulative"], minConfidence: 0.8, minCumulative: 0.6 });
    expect([(await h.step("b"))!.gate!.outcome, (await h.step("c"))!.gate!.outcome]).toEqual(["pass", "pass"]);
    await h.st.shutdown();
  });

  it("escalates a stale output with kind stale, with no policy at all", async () => {
    const h = harness();
    const wf = h.st.workflow("claims");
    let next = false;
    const result = await wf.run({}, async (run) => {
      const fresh = await run.step("rates", { source: "direct", maxAgeMs: 60_000, observedAt: Date.now() - 1_000 }, () => ({ value: 1.1 }));
      const old = await run.step("policy", { source: "cache", maxAgeMs: 1_000 }, () => ({ value: { no: "P-1" }, observedAt: Date.now() - 5_000 }));
      await run.step("reserve", { from: [fresh, old] }, () => ((next = true), { value: 1 }));
    });
    expect(result).toMatchObject({ status: "escalated", escalation: { step: "policy", kinds: ["stale"] } });
    expect(next).toBe(false);
    expect(await h.step("policy")).toMatchObject({ stale: true, gate: { outcome: "escalate", kinds: ["stale"] } });
    expect(await h.step("rates")).toMatchObject({ stale: false, gate: { outcome: "pass", kinds: [] } });
    await h.st.shutdown();
  });

  it("evaluates the gate after the retries, on the value the last attempt returned", async () => {
    const h = harness();
    const wf = h.st.workflow("claims", { policy: { minConfidence: 0.8 } });
    const result = await wf.run({}, async (run) =>
      run.step("flaky", { retry: { attempts: 3 } }, (ctx) => {
        if (ctx.attempt === 1) throw new Error("timeout");
        return { value: ctx.attempt, confidence: 0.5 };
      }),
    );
    expect(result).toMatchObject({ status: "escalated", escalation: { step: "flaky", kinds: ["confidence"] } });
    expect(await h.step("flaky")).toMatchObject({ type: "step.completed", output: 2, attempt: 2, attemptErrors: [{ message: "timeout" }] });
    await h.st.shutdown();
  });

  it("lets the other branch's in-flight step complete, but starts no new step after an escalation", async () => {
    const h = harness();
    const wf = h.st.workflow("claims", { policy: { minConfidence: 0.5 } });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const log: string[] = [];
    let branchA!: Promise<unknown>;

    const result = await wf.run({}, async (run) => {
      branchA = (async () => {
        const slow = await run.step("lookup", async () => {
          log.push("lookup started");
          await held;
          return { value: "P-1", confidence: 0.95 };
        });
        log.push("lookup returned");
        await run.step("reserve", { from: [slow] }, () => (log.push("reserve called"), { value: 1 }));
      })();
      const bad = run.step("extract", () => ({ value: {}, confidence: 0.2 }));
      await Promise.all([branchA, bad]);
    });

    expect(result).toMatchObject({ status: "escalated", escalation: { step: "extract" } });
    expect(log).toEqual(["lookup started"]); // still in flight when run() resolved
    release();
    await expect(branchA).rejects.toMatchObject({ name: "RunStoppedError", reason: "escalated" });
    expect(log).toEqual(["lookup started", "lookup returned"]);
    const steps = await h.steps();
    expect(steps.map((s) => s.step).sort()).toEqual(["extract", "lookup"]);
    expect(steps.find((s) => s.step === "lookup")).toMatchObject({ type: "step.completed", output: "P-1", gate: { outcome: "pass" } });
    await h.st.shutdown();
  });
});

describe("seam contracts", () => {
  const libraries: Array<[string, StandardSchemaV1]> = [
    ["zod", z.object({ policyNo: z.string(), amount: z.number() })],
    ["valibot", v.object({ policyNo: v.string(), amount: v.number() })],
  ];

  for (const [lib, schema] of libraries) {
    it(`escalates a ${lib} contract violation with kind contract and its issues, even on a flag path`, async () => {
      const h = harness();
      const wf = h.st.workflow("claims", { policy: { minConfidence: 0.5, onLow: "flag" } });
      const reached: unknown[] = [];
      const result = await wf.run({}, async (run) => {
        const fields = await run.step("extract", { schema }, () => ({ value: { policyNo: "P-1", amount: "1200" }, confidence: 0.95 }));
        await run.step("reserve", { from: [fields] }, () => (reached.push(fields.value), { value: 1 }));
      });

      expect(result).toMatchObject({ status: "escalated", escalation: { step: "extract", kinds: ["contract"] } });
      expect(reached).toEqual([]); // the invalid value never reached a downstream step
      const extract = await h.step("extract");
      expect(extract!.gate).toEqual({
        outcome: "escalate",
        kinds: ["contract"],
        minConfidence: 0.5,
        issues: [{ message: expect.stringMatching(/number/i), path: ["amount"] }],
      });
      expect(extract!.escalationId).toBe(result.escalation!.id);
      expect(extract!.flagged).toBeUndefined();
      await h.st.shutdown();
    });

    it(`hands a ${lib}-conforming value on`, async () => {
      const h = harness();
      const result = await h.st.workflow("claims").run({}, async (run) => {
        const fields = await run.step("extract", { schema }, () => ({ value: { policyNo: "P-1", amount: 1200 }, confidence: 0.95 }));
        return (await run.step("reserve", { from: [fields] }, () => ({ value: (fields.value as { amount: number }).amount / 2 }))).value;
      });
      expect(result).toMatchObject({ status: "completed", output: 600 });
      expect((await h.step("extract"))!.gate).toEqual({ outcome: "pass", kinds: [] });
      await h.st.shutdown();
    });
  }

  it("awaits an asynchronous Standard Schema validator before handing the value on", async () => {
    let validated = 0;
    const knownPolicy: StandardSchemaV1 = {
      "~standard": {
        version: 1,
        vendor: "registry",
        validate: async (value) => {
          await new Promise((r) => setTimeout(r, 5));
          validated++;
          return value === "P-1" ? { value } : { issues: [{ message: "unknown policy number" }] };
        },
      },
    };
    const h = harness();
    const wf = h.st.workflow("claims");
    const ok = await wf.run({}, async (run) => (await run.step("match", { schema: knownPolicy }, () => ({ value: "P-1" }))).value);
    expect(ok).toMatchObject({ status: "completed", output: "P-1" });
    let downstream = false;
    const bad = await wf.run({}, async (run) => {
      const m = await run.step("match", { schema: knownPolicy }, () => ({ value: "P-404" }));
      await run.step("reserve", { from: [m] }, () => ((downstream = true), { value: 0 }));
    });
    expect(validated).toBe(2);
    expect(bad).toMatchObject({ status: "escalated", escalation: { step: "match", kinds: ["contract"] } });
    expect(downstream).toBe(false);
    const matches = (await h.steps()).filter((s) => s.step === "match");
    expect(matches[1]!.gate).toMatchObject({ outcome: "escalate", kinds: ["contract"], issues: [{ message: "unknown policy number" }] });
    await h.st.shutdown();
  });

  it("sends the zod schema as JSON Schema with the first event of each step and version only", async () => {
    const schema = z.object({ amount: z.number() });
    const h = harness();
    const once = (wf: ReturnType<Seamtrace["workflow"]>) =>
      wf.run({}, async (run) => {
        await run.step("extract", { schema }, () => ({ value: { amount: 1 } }));
        await run.step("other", { schema }, () => ({ value: { amount: 2 } }));
      });
    await once(h.st.workflow("claims", { version: "3" }));
    await once(h.st.workflow("claims", { version: "3" })); // another handle on the same version
    await once(h.st.workflow("claims", { version: "4" }));
    const withContract = (await h.steps()).map((s) => [s.version, s.step, s.contract !== undefined]);
    expect(withContract).toEqual([
      ["3", "extract", true],
      ["3", "other", true],
      ["3", "extract", false],
      ["3", "other", false],
      ["4", "extract", true],
      ["4", "other", true],
    ]);
    expect((await h.steps())[0]!.contract).toEqual({
      vendor: "zod",
      jsonSchema: expect.objectContaining({ type: "object", properties: { amount: { type: "number" } }, required: ["amount"] }),
    });
    await h.st.shutdown();
  });

  it("sends an explicit contract for a validator that cannot describe itself", async () => {
    const h = harness();
    const jsonSchema = { type: "object", properties: { amount: { type: "number" } } };
    await h.st
      .workflow("claims")
      .run({}, async (run) => run.step("extract", { schema: v.object({ amount: v.number() }), contract: { jsonSchema } }, () => ({ value: { amount: 1 } })));
    expect((await h.step("extract"))!.contract).toEqual({ jsonSchema });
    await h.st.shutdown();
  });
});

describe("flag", () => {
  it("goes on past a failed gate and flags the step and every descendant, not unrelated branches", async () => {
    const h = harness();
    const wf = h.st.workflow("claims", { policy: { minConfidence: 0.8, onLow: "flag" } });
    const handles: Record<string, StepHandle<unknown>> = {};
    const result = await wf.run({}, async (run) => {
      const s = async (name: string, confidence: number, from: Array<StepHandle<unknown>> = []) =>
        (handles[name] = await run.step<unknown>(name, { from }, () => ({ value: name, confidence })));
      const a = await s("a", 0.9);
      const low = await s("low", 0.5, [a]); // flagged at its gate
      const child = await s("child", 0.95, [low]);
      const grandchild = await s("grandchild", 0.95, [child]);
      const sibling = await s("sibling", 0.9, [a]); // shares a's lineage, not low's
      const join = await s("join", 0.9, [sibling, grandchild]);
      const x = await s("x", 0.9);
      await s("y", 0.9, [x]);
      return join.value;
    });

    expect(result).toMatchObject({ status: "completed", output: "join" });
    const flagged = Object.entries(handles)
      .filter(([, h]) => h.flagged)
      .map(([n]) => n);
    expect(flagged).toEqual(["low", "child", "grandchild", "join"]);

    const steps = await h.steps();
    const byName = Object.fromEntries(steps.map((e) => [e.step, e]));
    expect(steps.filter((e) => e.flagged).map((e) => e.step)).toEqual(["low", "child", "grandchild", "join"]);
    expect(byName.low).toMatchObject({ gate: { outcome: "flag", kinds: ["confidence"], minConfidence: 0.8 }, flagged: true });
    expect(isUuid(byName.low!.escalationId!)).toBe(true);
    // Descendants passed their own gates: flagged for resting on `low`, not queued themselves.
    for (const n of ["child", "grandchild", "join"]) expect(byName[n]).toMatchObject({ gate: { outcome: "pass" }, flagged: true });
    for (const n of ["child", "grandchild", "join", "a", "sibling", "x", "y"]) expect(byName[n]!.escalationId).toBeUndefined();
    expect((await h.events()).at(-1)!.type).toBe("run.completed");
    await h.st.shutdown();
  });

  it("flags a stale output and goes on when onLow is flag", async () => {
    const h = harness();
    const wf = h.st.workflow("claims", { policy: { onLow: "flag" } });
    const result = await wf.run({}, async (run) => {
      const old = await run.step("policy", { maxAgeMs: 1_000 }, () => ({ value: 1, observedAt: Date.now() - 5_000 }));
      return (await run.step("reserve", { from: [old] }, () => ({ value: 2 }))).flagged;
    });
    expect(result).toMatchObject({ status: "completed", output: true });
    expect(await h.step("policy")).toMatchObject({ stale: true, flagged: true, gate: { outcome: "flag", kinds: ["stale"] } });
    await h.st.shutdown();
  });
});

describe("policy resolution", () => {
  /** Stands in for the client's policy client (server over code), which runs consult per step. */
  function usePolicySource(st: Seamtrace, source: PolicySource): void {
    Object.defineProperty(st, "policies", { value: { ...source, start() {}, stop() {} }, configurable: true });
  }

  it("takes a per-step policy option over the workflow's steps map over the workflow policy", async () => {
    const h = harness();
    const wf = h.st.workflow("claims", {
      policy: { minConfidence: 0.9, minCumulative: 0.1 },
      steps: { lenient: { minConfidence: 0.5 }, constructor: { minConfidence: 0 } },
    });
    const result = await wf.run({}, async (run) => {
      const a = await run.step("lenient", () => ({ value: 1, confidence: 0.6 }));
      const b = await run.step("strict-here", { from: [a], policy: { minConfidence: 0.7, onLow: "flag" } }, () => ({ value: 2, confidence: 0.65 }));
      return b.flagged;
    });
    expect(result).toMatchObject({ status: "completed", output: true });
    expect((await h.step("lenient"))!.gate).toEqual({ outcome: "pass", kinds: [], minConfidence: 0.5, minCumulative: 0.1 });
    expect((await h.step("strict-here"))!.gate).toEqual({ outcome: "flag", kinds: ["confidence"], minConfidence: 0.7, minCumulative: 0.1 });
    await h.st.shutdown();
  });

  it("asks the client's policy source for every step's rule, with the code policies as fallback", async () => {
    const h = harness();
    const asked: Array<[string, string, PolicyRule | undefined, PolicyRule | undefined]> = [];
    const server: PolicySource = {
      ruleFor: (workflow, step, code, codeStep) => {
        asked.push([workflow, step, code, codeStep]);
        return step === "classify" ? { minConfidence: 0.95 } : (codeStep ?? code ?? {});
      },
    };
    usePolicySource(h.st, server);
    const wf = h.st.workflow("claims", { policy: { minConfidence: 0.5 }, steps: { route: { onLow: "flag" } } });
    const result = await wf.run({}, async (run) => {
      const r = await run.step("route", () => ({ value: 1, confidence: 0.9 }));
      await run.step("classify", { from: [r] }, () => ({ value: 2, confidence: 0.9 }));
    });
    expect(asked).toEqual([
      ["claims", "route", { minConfidence: 0.5 }, { onLow: "flag" }],
      ["claims", "classify", { minConfidence: 0.5 }, undefined],
    ]);
    expect(result).toMatchObject({ status: "escalated", escalation: { step: "classify", kinds: ["confidence"] } });
    await h.st.shutdown();
  });

  it("falls back to the code policy when the policy source throws, without failing the step", async () => {
    const h = harness();
    usePolicySource(h.st, {
      ruleFor: () => {
        throw new Error("policy cache corrupt");
      },
    });
    const result = await h.st
      .workflow("claims", { policy: { minConfidence: 0.8 } })
      .run({}, async (run) => run.step("a", () => ({ value: 1, confidence: 0.5 })));
    expect(result).toMatchObject({ status: "escalated", escalation: { kinds: ["confidence"] } });
    await h.st.shutdown();
  });
});

describe("spot checks", () => {
  /** Runs `n` passing steps under `rate` and returns their events. */
  async function sampleSteps(n: number, rate: number, random: () => number) {
    const h = harness({ random });
    const wf = h.st.workflow("claims", { policy: { minConfidence: 0.5, spotCheckRate: rate } });
    const perRun = 500;
    for (let done = 0; done < n; done += perRun) {
      await wf.run({}, async (run) => {
        for (let i = 0; i < perRun; i++) await run.step("s", () => ({ value: i, confidence: 0.9 }));
      });
    }
    const steps = await h.steps();
    await h.st.shutdown();
    return steps;
  }

  for (const [rate, seed] of [
    [0.1, 1],
    [0.02, 2],
    [0.5, 3],
  ] as const) {
    it(`samples passing steps at rate ${rate} within 4 binomial standard deviations over 20,000 seeded steps`, async () => {
      const n = 20_000;
      const steps = await sampleSteps(n, rate, seededRandom(seed));
      expect(steps).toHaveLength(n);
      const sampled = steps.filter((s) => s.spotCheck !== undefined);
      const sd = Math.sqrt(n * rate * (1 - rate));
      expect(Math.abs(sampled.length - n * rate)).toBeLessThanOrEqual(4 * sd);
      // The sampled ones go to the queue with their rate (for weighting); the rest carry nothing.
      for (const s of sampled) {
        expect(s.spotCheck).toEqual({ rate });
        expect(isUuid(s.escalationId!)).toBe(true);
        expect(s.gate!.outcome).toBe("pass");
      }
      for (const s of steps) if (s.spotCheck === undefined) expect(s.escalationId).toBeUndefined();
      expect(new Set(sampled.map((s) => s.escalationId)).size).toBe(sampled.length);
    });
  }

  it("draws from the client's random source, so a seed reproduces the same sample", async () => {
    const picks = async (seed: number) => (await sampleSteps(1_000, 0.1, seededRandom(seed))).flatMap((s, i) => (s.spotCheck ? [i] : []));
    const first = await picks(42);
    expect(await picks(42)).toEqual(first);
    expect(await picks(43)).not.toEqual(first);
    expect((await sampleSteps(500, 0.1, () => 0)).every((s) => s.spotCheck)).toBe(true);
    expect((await sampleSteps(500, 0.1, () => 0.999)).some((s) => s.spotCheck)).toBe(false);
  });

  it("samples by confidence near the threshold and records the rate each step was drawn at", async () => {
    // random 0.15: below the near rate 0.2, above the base rate 0.02.
    const h = harness({ random: () => 0.15 });
    const wf = h.st.workflow("claims", { policy: { minConfidence: 0.7, spotCheckRate: 0.02, spotCheckNearRate: 0.2 } });
    await wf.run({}, async (run) => {
      await run.step("near", () => ({ value: 1, confidence: 0.75 }));
      await run.step("far", () => ({ value: 2, confidence: 0.95 }));
    });
    expect((await h.step("near"))!.spotCheck).toEqual({ rate: 0.2 });
    expect((await h.step("far"))!.spotCheck).toBeUndefined();
    await h.st.shutdown();
  });

  it("never samples a step that failed its gate: it is already queued", async () => {
    const h = harness({ random: () => 0 });
    const wf = h.st.workflow("claims", { policy: { minConfidence: 0.8, onLow: "flag", spotCheckRate: 1 } });
    await wf.run({}, async (run) => {
      const low = await run.step("low", () => ({ value: 1, confidence: 0.5 }));
      await run.step("ok", { from: [low] }, () => ({ value: 2, confidence: 0.9 }));
    });
    expect(await h.step("low")).toMatchObject({ gate: { outcome: "flag" }, escalationId: expect.any(String) });
    expect((await h.step("low"))!.spotCheck).toBeUndefined();
    expect((await h.step("ok"))!.spotCheck).toEqual({ rate: 1 });
    await h.st.shutdown();
  });

  it("does not block the run: a sampled step's value is handed on at once", async () => {
    const h = harness({ random: () => 0 });
    const result = await h.st.workflow("claims", { policy: { spotCheckRate: 1 } }).run({}, async (run) => {
      const a = await run.step("a", () => ({ value: 2 }));
      return (await run.step("b", { from: [a] }, () => ({ value: a.value * 2 }))).value;
    });
    expect(result).toMatchObject({ status: "completed", output: 4 });
    expect((await h.steps()).map((s) => s.spotCheck)).toEqual([{ rate: 1 }, { rate: 1 }]);
    await h.st.shutdown();
  });
});

describe("with nothing configured", () => {
  it("sends no gate, escalation or spot-check fields and never draws a random number", async () => {
    let draws = 0;
    const h = harness({
      random: () => {
        draws++;
        return 0;
      },
    });
    const result = await h.st.workflow("claims").run({}, async (run) => {
      const a = await run.step("a", () => ({ value: 1, confidence: 0.01 }));
      return (await run.step("b", { from: [a] }, () => ({ value: 2, confidence: 0.01 }))).value;
    });
    expect(result).toMatchObject({ status: "completed", output: 2 });
    for (const s of await h.steps()) {
      expect(s.gate).toBeUndefined();
      expect(s.escalationId).toBeUndefined();
      expect(s.spotCheck).toBeUndefined();
      expect(s.flagged).toBeUndefined();
      expect(s.contract).toBeUndefined();
    }
    expect(draws).toBe(0);
    await h.st.shutdown();
  });
});
