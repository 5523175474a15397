import { createGoldenWorkflow as claimsGolden, seams as claimsSeams } from "@seamtrace/example-claims/golden";
import type { Seamtrace } from "@seamtrace/sdk";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { GoldenWorkflowModule } from "./executor.js";
import { serializeGoldenSet } from "./golden-set.js";
import { seamsRun } from "./seams-run.js";
import { asSeamContracts, checkSeams, formatSeamTable, type RecordedStep } from "./seams.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "seams-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/**
 * parse → total: `total` needs `parse`'s amount as a number. The "bad" version of parse hands on
 * the amount as text for every input over 5 — its own output contract is silent about that, as
 * a loosely typed model glue would be — which only the seam check catches.
 */
function toy(version: "good" | "bad"): GoldenWorkflowModule {
  return {
    createGoldenWorkflow(st: Seamtrace) {
      const wf = st.workflow("toy", { version });
      return {
        run: (input) =>
          wf.run({ input }, async (run) => {
            const n = input as number;
            const p = await run.step("parse", () => ({ value: { amount: version === "bad" && n > 5 ? String(n) : n, currency: "USD" }, confidence: 0.9 }));
            const t = await run.step("total", { from: [p] }, () => ({ value: Number(p.value.amount) * 2, confidence: 0.9 }));
            return t.value;
          }),
      };
    },
    seams: { total: { parse: z.object({ amount: z.number(), currency: z.string() }) }, report: { total: z.number() } },
  };
}

async function toySet(): Promise<string> {
  const set = join(dir, "toy.jsonl");
  await writeFile(set, serializeGoldenSet(Array.from({ length: 8 }, (_, i) => ({ id: `c${i + 1}`, input: i + 1, expected: { total: (i + 1) * 2 } }))));
  return set;
}

describe("seam checks", () => {
  it("passes every handoff whose recorded upstream outputs meet the downstream contract", async () => {
    const report = await seamsRun({ workflow: toy("good"), set: await toySet() });
    expect(report.failed).toBe(false);
    expect(report.runs).toBe(8);
    expect(report.handoffs).toEqual([
      { upstream: "parse", downstream: "total", state: "checked", observed: 8, checked: 8, violations: 0, examples: [] },
      { upstream: "total", downstream: "report", state: "not-observed", observed: 0, checked: 0, violations: 0, examples: [] },
    ]);
  });

  it("fails on a deliberately incompatible upstream output, with the validator's path and message", async () => {
    const report = await seamsRun({ workflow: toy("bad"), set: await toySet() });
    expect(report.failed).toBe(true);
    const h = report.handoffs.find((x) => x.upstream === "parse")!;
    expect(h.violations).toBe(3); // inputs 6, 7, 8
    expect(h.examples).toHaveLength(3);
    expect(h.examples[0]!.issues[0]!.path).toEqual(["amount"]);
    expect(h.examples[0]!.issues[0]!.message).toMatch(/number/i);
    expect(h.examples[0]!.value).toContain('"amount":"6"');
    const table = formatSeamTable(report);
    expect(table).toContain("parse → total");
    expect(table).toMatch(/✗ parse → total .* amount: /);
  });

  it("keeps the first few examples, counts every violation, and reports handoffs without a contract", async () => {
    const runs: RecordedStep[][] = Array.from({ length: 10 }, (_, i) => [
      { runId: `r${i}`, stepId: `a${i}`, step: "a", status: "completed", parents: [], output: i },
      { runId: `r${i}`, stepId: `b${i}`, step: "b", status: "completed", parents: [`a${i}`], output: "x" },
      { runId: `r${i}`, stepId: `c${i}`, step: "c", status: "failed", parents: [`b${i}`] },
    ]);
    const report = await checkSeams(runs, { b: { a: z.string() } });
    expect(report.violations).toBe(10);
    expect(report.handoffs.map((h) => [h.upstream, h.downstream, h.state, h.observed, h.violations, h.examples.length])).toEqual([
      ["a", "b", "checked", 10, 10, 3],
      ["b", "c", "no-contract", 10, 0, 0],
    ]);
  });

  it("rejects a seams export that is not steps mapped to Standard Schema validators", () => {
    expect(() => asSeamContracts({ b: { a: "string" } }, "m.js")).toThrow(/m.js: "seams"/);
    expect(asSeamContracts(undefined, "m.js")).toEqual({});
  });

  it("finds every handoff of the claims workflow compatible on its golden cases", async () => {
    const { goldenCases } = await import("@seamtrace/example-claims/golden");
    const set = join(dir, "claims.jsonl");
    await writeFile(set, serializeGoldenSet(goldenCases({ seed: 7, count: 60 })));
    const report = await seamsRun({ workflow: { createGoldenWorkflow: claimsGolden, seams: claimsSeams }, set });
    expect(report.violations).toBe(0);
    expect(report.handoffs.map((h) => `${h.upstream}→${h.downstream}:${h.state}`).sort()).toEqual([
      "classify→reserve:checked",
      "extract→classify:checked",
      "extract→match-policy:checked",
      "match-policy→reserve:checked",
      "reserve→route:checked",
    ]);
  });
});
