import { describe, expect, it } from "vitest";
import { createPolicyDb } from "./policy-db.js";

describe("createPolicyDb", () => {
  it("builds the same book from the same seed", () => {
    expect(createPolicyDb({ seed: 3, observedAt: 0 }).policies).toEqual(createPolicyDb({ seed: 3, observedAt: 0 }).policies);
    expect(createPolicyDb({ seed: 4, observedAt: 0 }).policies).not.toEqual(createPolicyDb({ seed: 3, observedAt: 0 }).policies);
  });

  it("gives every policy a unique canonical number and a valid period", () => {
    const db = createPolicyDb();
    expect(new Set(db.policies.map((p) => p.policyNo)).size).toBe(db.policies.length);
    for (const p of db.policies) {
      expect(p.policyNo).toMatch(/^POL-[1-9]\d{6}$/);
      expect(p.effectiveFrom <= p.effectiveTo).toBe(true);
      expect(db.get(p.policyNo)).toBe(p);
    }
  });

  it("finds policies by holder name regardless of case and spacing", () => {
    const db = createPolicyDb();
    const p = db.policies[0]!;
    expect(db.byHolder(`  ${p.holder.toUpperCase()} `)).toContain(p);
    expect(db.byHolder("Nobody Atall")).toEqual([]);
  });

  it("contains holders with several policies, namesakes and lapsed policies", () => {
    const db = createPolicyDb();
    const multi = new Set(db.policies.filter((p) => db.byHolder(p.holder).length > 1).map((p) => p.holder));
    expect(multi.size).toBeGreaterThan(50);
    expect(db.policies.filter((p) => p.effectiveTo < "2025-03-01").length).toBeGreaterThan(10);
  });

  it("records when the snapshot was taken", () => {
    expect(createPolicyDb({ observedAt: 1_700_000_000_000 }).observedAt).toBe(1_700_000_000_000);
  });
});
