import { describe, expect, it } from "vitest";
import { defaultModelParams } from "./default-params.js";
import type { ClaimEmail } from "./domain.js";
import { extractClaim } from "./extract.js";

const params = defaultModelParams.extract;

function email(body: string, from = "Maria Garcia <maria.garcia@example.com>", receivedAt = "2025-03-05T10:00:00.000Z", subject = "claim"): ClaimEmail {
  return { messageId: "<m1@example.com>", from, subject, body, receivedAt };
}

const extract = (body: string, from?: string, receivedAt?: string, subject?: string) => extractClaim(email(body, from, receivedAt, subject), params);

describe("extractClaim", () => {
  it("reads a well-formed email completely and confidently", () => {
    const r = extract(
      "Dear Claims Team,\n\nI would like to file a claim. A pipe burst under the kitchen sink.\n\nPolicy number: POL-1234567\nDate of incident: 2025-03-01\nEstimated cost: $2,350\n\nKind regards,\nMaria Garcia",
    );
    expect(r.value).toEqual({
      claimant: "Maria Garcia",
      policyNo: "POL-1234567",
      incidentDate: "2025-03-01",
      amount: 2_350,
      description: "I would like to file a claim. A pipe burst under the kitchen sink.",
    });
    expect(r.confidence).toBeGreaterThan(0.9);
    expect(r.features).toMatchObject({ amount: 2_350, hasPolicyNo: true, hasDate: true, hasAmount: true });
  });

  it.each([
    ["The repair quote came to $1,200.", 1_200],
    ["It's going to cost 1200 USD.", 1_200],
    ["I'm claiming USD 1,234.", 1_234],
    ["The bill was twelve hundred dollars.", 1_200],
    ["Total damage is three thousand five hundred dollars.", 3_500],
    ["It's going to cost about $3.5k.", 3_500],
    ["The bill was $1,234.50.", 1_234.5],
    ["pol 1234567 - yesterday - car dented - 1,087 dollars", 1_087],
  ])("reads the amount in %j", (body, amount) => {
    expect(extract(body).value.amount).toBe(amount);
  });

  it("prefers the claimed amount over a deductible or last year's claim", () => {
    expect(extract("The repair quote came to $2,300. My deductible is $500, if that matters.").value.amount).toBe(2_300);
    expect(extract("Last year I claimed $2,000 for something similar. The bill was $640.").value.amount).toBe(640);
  });

  it("states no amount, less confidently, when the only figures are something else", () => {
    const r = extract("My car was hit. My deductible is $500, if that matters.");
    expect(r.value.amount).toBeNull();
    const clean = extract("My car was hit.");
    expect(clean.value.amount).toBeNull();
    expect(r.confidence).toBeLessThan(clean.confidence);
  });

  it("misreads a European-format amount but flags it with a low confidence", () => {
    const r = extract("Amount claimed: 4.500,00 USD\nDescription: roof leak");
    expect(r.value.amount).not.toBe(4_500);
    expect(r.confidence).toBeLessThan(0.5);
  });

  it.each([
    ["It happened yesterday.", "2025-03-04"],
    ["This was this morning.", "2025-03-05"],
    ["It happened last Monday.", "2025-03-03"],
    ["It happened on Wednesday.", "2025-02-26"],
    ["It happened 3 days ago.", "2025-03-02"],
    ["It happened twelve days ago.", "2025-02-21"],
    ["It happened on March 1st, 2025.", "2025-03-01"],
    ["It happened on 1 March 2025.", "2025-03-01"],
    ["It happened on Feb 27th.", "2025-02-27"],
    ["It happened on 02/27/2025.", "2025-02-27"],
    ["It happened on 2/27/25.", "2025-02-27"],
    ["It happened on 27/02/2025.", "2025-02-27"],
  ])("reads the date in %j", (body, date) => {
    expect(extract(body).value.incidentDate).toBe(date);
  });

  it("puts a day without a year in the past, across New Year", () => {
    expect(extract("It happened on December 30.", undefined, "2025-01-03T09:00:00Z").value.incidentDate).toBe("2024-12-30");
  });

  it("reads an ambiguous numeric date month first, less confidently, unless that reading is in the future", () => {
    const ambiguous = extract("It happened on 03/02/2025.");
    expect(ambiguous.value.incidentDate).toBe("2025-03-02");
    expect(ambiguous.confidence).toBeLessThan(extract("It happened on 2025-03-02.").confidence);
    expect(extract("It happened on 04/03/2025.").value.incidentDate).toBe("2025-03-04");
  });

  it("reports a dotted date it cannot read as unsure rather than absent", () => {
    const r = extract("Loss date: 04.03.2025");
    expect(r.value.incidentDate).toBeNull();
    expect(r.reasoning).toContain("not in a known format");
    expect(r.confidence).toBeLessThan(0.5);
  });

  it.each([
    ["My policy number is POL-7654321.", "POL-7654321"],
    ["pol 7654321 - yesterday - hail", "POL-7654321"],
    ["P0L-7654321, yesterday, hail", "POL-7654321"],
    ["POL 765 4321 - hail", "POL-7654321"],
    ["My policy is #7654321.", "POL-7654321"],
    ["Policy is 765-4321.", "POL-7654321"],
    ["Policy: 7654321", "POL-7654321"],
  ])("reads the policy number in %j", (body, policyNo) => {
    expect(extract(body).value.policyNo).toBe(policyNo);
  });

  it("finds the policy number in the subject line", () => {
    expect(extract("My car was hit.", undefined, undefined, "Insurance claim for policy POL-7654321").value.policyNo).toBe("POL-7654321");
  });

  it("does not take a phone number or a portal reference for a policy number", () => {
    const r = extract("Reference: WEB-12345678\nCall me on (303) 555-0142.");
    expect(r.value.policyNo).toBeNull();
  });

  it("lowers confidence when two different policy numbers appear", () => {
    const one = extract("Policy: POL-7654321");
    const two = extract("Policy: POL-7654321. Or maybe POL-1111111.");
    expect(two.confidence).toBeLessThan(one.confidence);
    expect(two.alternatives?.map((a) => a.policyNo)).toContain("POL-1111111");
  });

  it.each([
    ['"Garcia, Maria" <m@example.com>', "hello", "Maria Garcia"],
    ["maria garcia <m@example.com>", "hello", "Maria Garcia"],
    ["m@example.com", "hello\n\nThanks,\nMaria Garcia", "Maria Garcia"],
    ["m@example.com", "pol 7654321 - hail damage\nMaria Garcia", "Maria Garcia"],
    ["m@example.com", "hello\n\nthx\n- M.", null],
  ])("reads the claimant from %j", (from, body, claimant) => {
    expect(extract(body, from).value.claimant).toBe(claimant);
  });

  it("prefers a form's Name field to the portal's From header, with lower confidence", () => {
    const r = extract("Name: Maria Garcia\nDescription: roof leak", "Claims Portal <noreply@portal.example-insurer.com>");
    expect(r.value.claimant).toBe("Maria Garcia");
    expect(r.alternatives?.map((a) => a.claimant)).toContain("Claims Portal");
  });

  it("never throws on empty or odd input", () => {
    expect(() => extract("")).not.toThrow();
    expect(() => extract("$$$ 1,2,3 USD 99/99/9999 POL-")).not.toThrow();
    expect(extract("").value).toMatchObject({ claimant: "Maria Garcia", policyNo: null, incidentDate: null, amount: null });
  });
});
