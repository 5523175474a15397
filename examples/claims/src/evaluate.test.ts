import { describe, expect, it } from "vitest";
import { defaultModelParams } from "./default-params.js";
import type { StepName } from "./domain.js";
import { STEP_NAMES } from "./domain.js";
import { evaluateModels } from "./evaluate.js";
import { generateClaims } from "./generator.js";
import { predictClaim } from "./pipeline.js";
import { createPolicyDb } from "./policy-db.js";
import { stepCorrect } from "./compare.js";

// A seed the defaults were not tuned on, so the bands say something about unseen traffic.
const SEED = 2024;
const ctx = { params: defaultModelParams, policies: createPolicyDb() };
const cases0 = generateClaims({ seed: SEED, count: 1_000, shift: 0, policies: ctx.policies });
const cases1 = generateClaims({ seed: SEED, count: 1_000, shift: 1, policies: ctx.policies });
const q0 = evaluateModels(cases0, ctx);
const q1 = evaluateModels(cases1, ctx);

/** Plausible accuracy at shift 0, each model fed the upstream models' outputs. */
const BANDS: Readonly<Record<StepName, [number, number]>> = {
  extract: [0.85, 0.98],
  classify: [0.8, 0.95],
  "match-policy": [0.85, 0.97],
  reserve: [0.65, 0.9],
  route: [0.72, 0.92],
};

describe("model quality on 1,000 generated cases", () => {
  it.each(STEP_NAMES)("%s is accurate within its plausible band at shift 0", (step) => {
    const [lo, hi] = BANDS[step];
    expect(q0[step].n).toBe(1_000);
    expect(q0[step].accuracy).toBeGreaterThanOrEqual(lo);
    expect(q0[step].accuracy).toBeLessThanOrEqual(hi);
  });

  it.each(STEP_NAMES)("%s gives its right answers more confidence than its wrong ones", (step) => {
    expect(q0[step].meanConfidenceCorrect).toBeGreaterThan(q0[step].meanConfidenceWrong + 0.1);
    expect(q1[step].meanConfidenceCorrect).toBeGreaterThan(q1[step].meanConfidenceWrong);
  });

  it.each(STEP_NAMES)("%s is still confidently wrong sometimes (confidence ≥ 0.8)", (step) => {
    expect(q0[step].confidentlyWrong).toBeGreaterThanOrEqual(5);
  });

  it.each(STEP_NAMES)("%s is more often right above 0.8 confidence than below 0.5", (step) => {
    let hi = 0;
    let hiOk = 0;
    let lo = 0;
    let loOk = 0;
    for (const c of cases0) {
      const out = predictClaim(c.email, ctx)[step];
      const ok = stepCorrect(step, out.value as never, c.truth[step] as never);
      if (out.confidence >= 0.8) {
        hi++;
        if (ok) hiOk++;
      } else if (out.confidence < 0.5) {
        lo++;
        if (ok) loOk++;
      }
    }
    expect(lo).toBeGreaterThanOrEqual(10);
    expect(hiOk / hi).toBeGreaterThan(loOk / lo + 0.3);
  });

  it("is roughly calibrated at shift 0: mean confidence within 0.06 of accuracy", () => {
    for (const step of STEP_NAMES) expect(Math.abs(q0[step].meanConfidence - q0[step].accuracy)).toBeLessThan(0.06);
  });
});

describe("drift: the same models on shift-1 traffic", () => {
  it.each(["extract", "classify", "reserve", "route"] as const)("%s loses at least 10 points of accuracy", (step) => {
    expect(q1[step].accuracy).toBeLessThan(q0[step].accuracy - 0.1);
  });

  it("match-policy loses accuracy too, if less (the lookup itself does not drift)", () => {
    expect(q1["match-policy"].accuracy).toBeLessThan(q0["match-policy"].accuracy);
  });

  it.each(["extract", "classify", "reserve"] as const)("%s reports lower mean confidence", (step) => {
    expect(q1[step].meanConfidence).toBeLessThan(q0[step].meanConfidence - 0.05);
  });

  it("mean confidence falls less than accuracy: drift makes the models overconfident", () => {
    const gap = (q: typeof q0): number => STEP_NAMES.reduce((s, step) => s + (q[step].meanConfidence - q[step].accuracy), 0);
    expect(gap(q1)).toBeGreaterThan(gap(q0) + 0.1);
  });
});
