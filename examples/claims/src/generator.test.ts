import { describe, expect, it } from "vitest";
import { generateClaims, claimCases } from "./generator.js";
import { createPolicyDb } from "./policy-db.js";
import { covers, reserveFor, routeFor } from "./rules.js";
import { trafficMix } from "./traffic-mix.js";
import type { ClaimCase } from "./domain.js";

const policies = createPolicyDb();
const base = generateClaims({ seed: 42, count: 1_000, policies });
const shifted = generateClaims({ seed: 42, count: 1_000, shift: 1, policies });

const share = (cases: ClaimCase[], pred: (c: ClaimCase) => boolean): number => cases.filter(pred).length / cases.length;
const layout = (c: ClaimCase): string | undefined => c.tags.find((t) => t.startsWith("template:"));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe("generateClaims determinism", () => {
  it("gives identical cases for the same seed", () => {
    expect(generateClaims({ seed: 42, count: 50, policies })).toEqual(base.slice(0, 50));
  });

  it("gives different emails for a different seed", () => {
    const other = generateClaims({ seed: 43, count: 50, policies });
    const same = other.filter((c, i) => c.email.body === base[i]!.email.body).length;
    expect(same).toBeLessThan(3);
    expect(other.map((c) => c.id)).not.toEqual(base.slice(0, 50).map((c) => c.id));
  });

  it("generates case i the same whatever the count", () => {
    expect(generateClaims({ seed: 42, count: 4, policies })[3]).toEqual(base[3]);
  });

  it("streams the same cases as it returns", () => {
    const streamed: ClaimCase[] = [];
    for (const c of claimCases({ seed: 42, count: 20, policies })) streamed.push(c);
    expect(streamed).toEqual(base.slice(0, 20));
  });

  it("gives unique ids and message ids, arriving in order", () => {
    expect(new Set(base.map((c) => c.id)).size).toBe(base.length);
    expect(new Set(base.map((c) => c.email.messageId)).size).toBe(base.length);
    for (let i = 1; i < base.length; i++) expect(base[i]!.email.receivedAt >= base[i - 1]!.email.receivedAt).toBe(true);
  });

  it("starts at the requested time", () => {
    const [first] = generateClaims({ seed: 1, count: 1, start: "2025-06-01T09:00:00Z", policies });
    expect(first!.email.receivedAt).toBe("2025-06-01T09:00:00.000Z");
  });
});

describe("generated truth", () => {
  it.each([
    ["shift 0", base],
    ["shift 1", shifted],
  ])("follows the reserve and route rules from the true type, policy and loss (%s)", (_, cases) => {
    for (const c of cases) {
      const policy = c.truth["match-policy"];
      expect(c.truth.reserve).toBe(reserveFor({ type: c.truth.classify, policy, lossAmount: c.facts.lossAmount, incidentDate: c.facts.incidentDate }));
      expect(c.truth.route).toBe(routeFor(c.truth.reserve));
    }
  });

  it("matches each customer to a policy in the book that covers the claim type", () => {
    for (const c of [...base, ...shifted]) {
      const policy = c.truth["match-policy"];
      if (policy === null) {
        expect(c.tags).toContain("non-customer");
        continue;
      }
      expect(policies.get(policy.policyNo)).toEqual(policy);
      expect(covers(policy, c.truth.classify)).toBe(true);
    }
  });

  it("states extracted fields consistently with the facts", () => {
    for (const c of [...base, ...shifted]) {
      const f = c.truth.extract;
      const received = c.email.receivedAt.slice(0, 10);
      expect(c.facts.incidentDate <= received).toBe(true);
      if (f.incidentDate !== null) expect(f.incidentDate).toBe(c.facts.incidentDate);
      if (f.amount !== null) expect(Math.abs(f.amount - c.facts.lossAmount)).toBeLessThanOrEqual(0.1 * c.facts.lossAmount);
      if (f.policyNo !== null) expect(f.policyNo).toMatch(/^POL-[1-9]\d{6}$/);
      if (f.claimant !== null) expect(f.claimant).toMatch(/^[A-Z][a-z]+ [A-Z][a-z]+$/);
      expect(c.email.body).toContain(f.description);
    }
  });

  it("writes the claimant's real policy number unless the case says otherwise", () => {
    for (const c of base) {
      const real = c.truth["match-policy"]?.policyNo ?? null;
      const quoted = c.truth.extract.policyNo;
      const explained = ["policy-typo", "other-policy-quoted", "no-policy-no", "non-customer"].some((t) => c.tags.includes(t));
      if (!explained) expect(quoted).toBe(real);
    }
  });
});

describe("generated emails", () => {
  it("vary in how they write amounts, dates and policy numbers", () => {
    const bodies = base.map((c) => c.email.body);
    const has = (re: RegExp): number => bodies.filter((b) => re.test(b)).length;
    expect(has(/\$\d{1,3},\d{3}/)).toBeGreaterThan(100);
    expect(has(/\d USD\b|\bUSD \d/)).toBeGreaterThan(30);
    expect(has(/\b(hundred|thousand) dollars\b/)).toBeGreaterThan(10);
    expect(has(/\$\d+(\.\d)?k\b/)).toBeGreaterThan(10);
    expect(has(/\byesterday|last night\b/)).toBeGreaterThan(20);
    expect(has(/\b\d{1,2}\/\d{1,2}\/\d{2,4}\b/)).toBeGreaterThan(50);
    expect(has(/\bP0L-\d{7}\b/)).toBeGreaterThan(10);
    expect(has(/\bpol \d{7}\b/)).toBeGreaterThan(10);
    expect(new Set(base.map((c) => c.email.subject)).size).toBeGreaterThan(20);
  });

  it("leave fields out, carry typos and traps at the documented rates", () => {
    expect(share(base, (c) => c.truth.extract.amount === null)).toBeGreaterThan(0.04);
    expect(share(base, (c) => c.truth.extract.policyNo === null)).toBeGreaterThan(0.05);
    expect(share(base, (c) => c.truth.extract.incidentDate === null)).toBeGreaterThan(0.05);
    expect(share(base, (c) => c.tags.includes("misleading"))).toBeGreaterThan(0.05);
    expect(share(base, (c) => c.tags.includes("on-behalf"))).toBeGreaterThan(0.01);
    expect(share(base, (c) => c.tags.includes("other-policy-quoted"))).toBeGreaterThan(0.01);
  });
});

describe("shift", () => {
  it("clamps the traffic mix to [0, 1]", () => {
    expect(trafficMix(-1)).toEqual(trafficMix(0));
    expect(trafficMix(7)).toEqual(trafficMix(1));
    expect(trafficMix(Number.NaN)).toEqual(trafficMix(0));
  });

  it("brings cyber claims, portal emails, bigger losses and messier fields at shift 1", () => {
    const cyber0 = share(base, (c) => c.truth.classify === "cyber");
    const cyber1 = share(shifted, (c) => c.truth.classify === "cyber");
    expect(cyber0).toBeLessThan(0.08);
    expect(cyber1).toBeGreaterThan(0.2);
    const portal = (c: ClaimCase): boolean => c.tags.includes("template:portal");
    expect(share(base, portal)).toBeLessThan(0.06);
    expect(share(shifted, portal)).toBeGreaterThan(0.2);
    expect(median(shifted.map((c) => c.facts.lossAmount))).toBeGreaterThan(1.8 * median(base.map((c) => c.facts.lossAmount)));
    const missing = (c: ClaimCase): boolean => c.truth.extract.policyNo === null || c.truth.extract.amount === null;
    expect(share(shifted, missing)).toBeGreaterThan(share(base, missing) + 0.05);
  });

  it("accepts a shift that grows with arrival time", () => {
    const start = Date.parse("2025-01-06T08:00:00Z");
    const ramp = generateClaims({ seed: 42, count: 1_000, policies, shift: (at) => Math.min(1, (at.getTime() - start) / (7 * 86_400_000)) });
    const cyber = (cs: ClaimCase[]): number => share(cs, (c) => c.truth.classify === "cyber");
    expect(ramp.slice(0, 300)).toEqual(
      generateClaims({ seed: 42, count: 300, policies, shift: (at) => Math.min(1, (at.getTime() - start) / (7 * 86_400_000)) }),
    );
    expect(cyber(ramp.slice(700))).toBeGreaterThan(cyber(ramp.slice(0, 300)) + 0.05);
  });

  it("changes cases gradually: a small shift keeps most claim types and layouts", () => {
    const nudged = generateClaims({ seed: 42, count: 300, shift: 0.05, policies });
    const kept = nudged.filter((c, i) => c.truth.classify === base[i]!.truth.classify && layout(c) === layout(base[i]!)).length;
    expect(kept / nudged.length).toBeGreaterThan(0.9);
  });
});
