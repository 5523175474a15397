import { describe, expect, it } from "vitest";
import { defaultModelParams } from "./default-params.js";
import { matchPolicy } from "./match-policy.js";
import { createPolicyDb } from "./policy-db.js";

const db = createPolicyDb({ observedAt: 0 });
const params = defaultModelParams.matchPolicy;
const single = db.policies.find((p) => db.byHolder(p.holder).length === 1)!;
const multi = db.policies.find((p) => db.byHolder(p.holder).length === 2)!;

/** A number one digit away from `policyNo` that is nobody's policy. */
function mistyped(policyNo: string): string {
  for (let d = 1; d <= 9; d++) {
    const digits = policyNo.slice(4).split("");
    digits[6] = String((Number(digits[6]) + d) % 10);
    const candidate = `POL-${digits.join("")}`;
    if (!db.get(candidate)) return candidate;
  }
  throw new Error("no free neighbour");
}

describe("matchPolicy", () => {
  it("finds a policy by number and confirms it by the holder's name", () => {
    const r = matchPolicy({ policyNo: single.policyNo, claimant: single.holder }, db, params);
    expect(r.value).toEqual(single);
    expect(r.confidence).toBeGreaterThan(0.9);
    expect(r.features).toMatchObject({ method: "exact", line: single.line });
  });

  it("repairs a mistyped number held under the claimant's name", () => {
    const r = matchPolicy({ policyNo: mistyped(single.policyNo), claimant: single.holder }, db, params);
    expect(r.value?.policyNo).toBe(single.policyNo);
    expect(r.features).toMatchObject({ method: "fuzzy" });
  });

  it("falls back to the holder's name when there is no number", () => {
    const r = matchPolicy({ policyNo: null, claimant: single.holder }, db, params);
    expect(r.value?.policyNo).toBe(single.policyNo);
    expect(r.features).toMatchObject({ method: "name" });
  });

  it("is unsure between a holder's two policies and offers the other", () => {
    const r = matchPolicy({ policyNo: null, claimant: multi.holder }, db, params);
    expect(r.confidence).toBeLessThanOrEqual(0.5);
    const both = [r.value?.policyNo, ...(r.alternatives ?? []).map((a) => a?.policyNo)];
    expect(both).toEqual(expect.arrayContaining(db.byHolder(multi.holder).map((p) => p.policyNo)));
  });

  it("prefers the claimant's own policy when the number belongs to someone else", () => {
    const stranger = db.policies.find((p) => p.holder !== single.holder)!;
    const r = matchPolicy({ policyNo: stranger.policyNo, claimant: single.holder }, db, params);
    expect(r.value?.policyNo).toBe(single.policyNo);
    expect(r.confidence).toBeLessThan(0.8);
  });

  it("finds nothing for an unknown number and an unknown name", () => {
    const r = matchPolicy({ policyNo: "POL-1000000", claimant: "Nobody Atall" }, db, params);
    expect(r.value).toBeNull();
    expect(r.features).toMatchObject({ method: "none", line: "none" });
  });

  it("is least sure when there is nothing to search by", () => {
    const nothing = matchPolicy({ policyNo: null, claimant: null }, db, params);
    const exact = matchPolicy({ policyNo: single.policyNo, claimant: single.holder }, db, params);
    expect(nothing.value).toBeNull();
    expect(nothing.confidence).toBeLessThan(exact.confidence);
  });
});
