import { describe, expect, it } from "vitest";
import { stepCorrect } from "./compare.js";
import { defaultModelParams } from "./default-params.js";
import { STEP_NAMES, type ClaimCase, type ClaimTruth, type StepName } from "./domain.js";
import { evaluateModels } from "./evaluate.js";
import { generateClaims } from "./generator.js";
import type { ModelParams } from "./params.js";
import { predictClaim } from "./pipeline.js";
import { createPolicyDb } from "./policy-db.js";
import { parseCorrections, parseModel, retrainModels, serializeModel, type TrainingRow } from "./retrain.js";

const policies = createPolicyDb();
const THRESHOLD = 0.8;

/** What a reviewer sends back for every output below the threshold: the generator's truth. */
function reviewed(cases: readonly ClaimCase[], params: ModelParams): TrainingRow[] {
  const rows: TrainingRow[] = [];
  for (const c of cases) {
    const p = predictClaim(c.email, { params, policies });
    const inputs: Record<StepName, unknown> = {
      extract: c.email,
      classify: { description: p.extract.value.description },
      "match-policy": { policyNo: p.extract.value.policyNo, claimant: p.extract.value.claimant },
      reserve: {
        type: p.classify.value,
        policyNo: p["match-policy"].value?.policyNo ?? null,
        amount: p.extract.value.amount,
        incidentDate: p.extract.value.incidentDate,
      },
      route: { reserve: p.reserve.value },
    };
    for (const step of STEP_NAMES) {
      const out = p[step];
      if (out.confidence >= THRESHOLD) continue;
      const right = stepCorrect(step, out.value as ClaimTruth[typeof step], c.truth[step]);
      rows.push({
        step,
        input: inputs[step],
        output: out.value,
        corrected: right ? out.value : c.truth[step],
        decision: right ? "accept" : "correct",
        version: params.version,
      });
    }
  }
  return rows;
}

/** Share of cases where some step's confidence is below the threshold (each would escalate). */
function lowShare(cases: readonly ClaimCase[], params: ModelParams): number {
  let low = 0;
  for (const c of cases) {
    const p = predictClaim(c.email, { params, policies });
    if (STEP_NAMES.some((s) => p[s].confidence < THRESHOLD)) low++;
  }
  return low / cases.length;
}

describe("retraining from a corrections export", () => {
  const drifted = generateClaims({ seed: 101, count: 600, shift: 1 });
  const rows = reviewed(drifted, defaultModelParams);
  const { params: v2, report } = retrainModels(defaultModelParams, rows, { policies });
  const fresh = generateClaims({ seed: 202, count: 600, shift: 1 });

  it("makes the next version, learning cyber claims and the portal's date and amount formats", () => {
    expect(v2.version).toBe("2");
    expect(report.classify.newTypes).toEqual(["cyber"]);
    expect(Object.keys(v2.classify.weights.cyber ?? {}).length).toBeGreaterThan(5);
    expect(v2.extract.dottedDates?.order).toBe("dmy");
    expect(v2.extract.decimalComma?.confidence).toBeGreaterThan(0.9);
    // Per-evidence calibration: the portal's Name field turned out reliable, the unreadable date never right.
    const byEvidence = new Map(report.recalibrated.map((r) => [r.evidence, r]));
    expect(byEvidence.get("claimant.labelOnly")!.after).toBeGreaterThan(defaultModelParams.extract.confidence.claimant.labelOnly);
    expect(byEvidence.get("incidentDate.unreadable")!.after).toBeLessThan(0.1);
    expect(report.recalibrated.some((r) => r.step === "reserve")).toBe(true);
    // The base version is left as it was.
    expect(defaultModelParams.classify.weights.cyber).toBeUndefined();
  });

  it("escalates less on fresh traffic of the same drifted distribution", () => {
    const before = lowShare(fresh, defaultModelParams);
    const after = lowShare(fresh, v2);
    expect(after).toBeLessThan(before - 0.15);
  });

  it("is more accurate on that traffic without being confidently wrong more often", () => {
    const q1 = evaluateModels(fresh, { params: defaultModelParams, policies });
    const q2 = evaluateModels(fresh, { params: v2, policies });
    expect(q2.classify.accuracy).toBeGreaterThan(q1.classify.accuracy + 0.1);
    expect(q2.extract.accuracy).toBeGreaterThan(q1.extract.accuracy + 0.1);
    expect(q2.classify.brier).toBeLessThan(q1.classify.brier);
    expect(q2.classify.confidentlyWrong).toBeLessThanOrEqual(q1.classify.confidentlyWrong + 5);
  });

  it("is deterministic whatever the rows' order, and round-trips through the model file and a JSONL export", () => {
    const jsonl =
      [...rows]
        .reverse()
        .map((r) => JSON.stringify(r))
        .join("\n") + "\n";
    const again = retrainModels(defaultModelParams, parseCorrections(jsonl), { policies });
    expect(serializeModel(again.params, again.report)).toBe(serializeModel(v2, report));
    expect(parseModel(serializeModel(v2, report)).params).toEqual(v2);
    expect(() => parseModel(JSON.stringify({ kind: "other" }))).toThrow(TypeError);
  });

  it("warns when the export holds no accepted outputs, and not when it does", () => {
    expect(rows.some((r) => r.decision === "accept")).toBe(true);
    expect(report.warnings).toEqual([]);
    const correctionsOnly = rows.filter((r) => r.decision !== "accept").slice(0, 60);
    const { report: warned } = retrainModels(defaultModelParams, correctionsOnly);
    expect(warned.warnings).toHaveLength(1);
    expect(warned.warnings[0]).toMatch(/^the export holds no accepted outputs \(\d+ rows: \d+ corrections, \d+ rejections\)/);
    expect(warned.warnings[0]).toContain("--include corrections,accepts");
    expect(retrainModels(defaultModelParams, []).report.warnings).toEqual(["the export holds no decisions: nothing was learned"]);
  });

  it("learns nothing from no corrections, and no rule from rejections alone", () => {
    const empty = retrainModels(defaultModelParams, []);
    expect({ ...empty.params, version: "1" }).toEqual(defaultModelParams);
    const rejected = retrainModels(
      defaultModelParams,
      rows.map((r) => ({ ...r, decision: "reject" as const })),
    );
    expect(rejected.params.extract.dottedDates).toBeUndefined();
    expect(rejected.params.classify).toEqual(defaultModelParams.classify);
  });
});
