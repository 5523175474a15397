import { describe, expect, it } from "vitest";
import { defaultModelParams } from "./default-params.js";
import type { PolicyRecord } from "./domain.js";
import { estimateReserve } from "./reserve.js";

const params = defaultModelParams.reserve;
const auto: PolicyRecord = {
  policyNo: "POL-7654321",
  holder: "Maria Garcia",
  line: "auto",
  effectiveFrom: "2024-05-01",
  effectiveTo: "2026-04-30",
  limit: 25_000,
  deductible: 500,
};
const fields = { amount: 3_500, incidentDate: "2025-03-01" };

describe("estimateReserve", () => {
  it("applies the reserve rule to a stated amount, confidently", () => {
    const r = estimateReserve({ fields, type: "auto", policy: auto }, params);
    expect(r.value).toBe(3_300);
    expect(r.confidence).toBeGreaterThan(0.9);
    expect(r.features).toMatchObject({ reserve: 3_300, amountStated: true, covered: true });
  });

  it("assumes the standard loss for the type when no amount is stated, and says it is unsure", () => {
    const r = estimateReserve({ fields: { ...fields, amount: null }, type: "auto", policy: auto }, params);
    expect(r.value).toBe(Math.round((params.standardLoss.auto - 500) * 1.1));
    expect(r.confidence).toBeLessThan(0.3);
  });

  it("is sure of a capped reserve even without an amount only when the standard loss passes the limit", () => {
    const small: PolicyRecord = { ...auto, limit: 1_000 };
    const r = estimateReserve({ fields: { ...fields, amount: null }, type: "auto", policy: small }, params);
    expect(r.value).toBe(1_100);
    expect(r.confidence).toBeGreaterThan(estimateReserve({ fields: { ...fields, amount: null }, type: "auto", policy: auto }, params).confidence);
  });

  it("reserves nothing, with little confidence, when the policy does not cover the type", () => {
    const r = estimateReserve({ fields, type: "property", policy: auto }, params);
    expect(r.value).toBe(0);
    expect(r.confidence).toBeLessThan(0.3);
    expect(r.reasoning).toContain("does not cover");
  });

  it("reserves nothing outside the policy period", () => {
    const r = estimateReserve({ fields: { ...fields, incidentDate: "2026-06-01" }, type: "auto", policy: auto }, params);
    expect(r.value).toBe(0);
    expect(r.reasoning).toContain("not in force");
  });

  it("is less sure when the incident date is unknown", () => {
    const known = estimateReserve({ fields, type: "auto", policy: auto }, params);
    const unknown = estimateReserve({ fields: { ...fields, incidentDate: null }, type: "auto", policy: auto }, params);
    expect(unknown.value).toBe(known.value);
    expect(unknown.confidence).toBeLessThan(known.confidence);
  });

  it("reserves nothing without a policy", () => {
    expect(estimateReserve({ fields, type: "auto", policy: null }, params).value).toBe(0);
  });
});
