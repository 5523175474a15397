import { describe, expect, it } from "vitest";
import type { PolicyRecord } from "./domain.js";
import { reserveFor, reservesAgree, routeFor } from "./rules.js";

const home: PolicyRecord = {
  policyNo: "POL-1234567",
  holder: "Maria Garcia",
  line: "home",
  effectiveFrom: "2024-03-01",
  effectiveTo: "2026-02-28",
  limit: 150_000,
  deductible: 500,
};

describe("reserveFor", () => {
  it("reserves the loss above the deductible plus the type's handling loading", () => {
    expect(reserveFor({ type: "property", policy: home, lossAmount: 4_500, incidentDate: "2025-01-02" })).toBe(Math.round(4_000 * 1.15));
    expect(reserveFor({ type: "liability", policy: home, lossAmount: 10_500, incidentDate: "2025-01-02" })).toBe(13_000);
  });

  it("caps the payable part at the policy limit", () => {
    expect(reserveFor({ type: "property", policy: home, lossAmount: 1_000_000, incidentDate: "2025-01-02" })).toBe(Math.round(150_000 * 1.15));
  });

  it("reserves nothing for a loss below the deductible", () => {
    expect(reserveFor({ type: "property", policy: home, lossAmount: 300, incidentDate: "2025-01-02" })).toBe(0);
  });

  it("reserves nothing when the policy does not cover the type, is not in force, or is missing", () => {
    expect(reserveFor({ type: "auto", policy: home, lossAmount: 4_500, incidentDate: "2025-01-02" })).toBe(0);
    expect(reserveFor({ type: "property", policy: home, lossAmount: 4_500, incidentDate: "2026-03-01" })).toBe(0);
    expect(reserveFor({ type: "property", policy: null, lossAmount: 4_500, incidentDate: "2025-01-02" })).toBe(0);
  });

  it("treats an unknown incident date as in force", () => {
    expect(reserveFor({ type: "property", policy: home, lossAmount: 4_500, incidentDate: null })).toBe(4_600);
  });
});

describe("routeFor", () => {
  it("routes by reserve band, boundaries inclusive", () => {
    expect(routeFor(0)).toBe("close-no-payment");
    expect(routeFor(1)).toBe("fast-track");
    expect(routeFor(2_500)).toBe("fast-track");
    expect(routeFor(2_501)).toBe("adjuster");
    expect(routeFor(25_000)).toBe("adjuster");
    expect(routeFor(25_001)).toBe("senior-adjuster");
  });
});

describe("reservesAgree", () => {
  it("accepts 10% or $50, and matches zero only with zero", () => {
    expect(reservesAgree(10_000, 10_999)).toBe(true);
    expect(reservesAgree(10_000, 11_200)).toBe(false);
    expect(reservesAgree(100, 149)).toBe(true);
    expect(reservesAgree(0, 40)).toBe(false);
    expect(reservesAgree(0, 0)).toBe(true);
  });
});
