/**
 * The insurer's business rules. They define the truth of the reserve and route steps, and the
 * reserve and route models apply the same rules to what upstream steps inferred — so a wrong
 * reserve always traces back to a wrong or missing input, which is what lineage should show.
 */
import type { ClaimType, PolicyLine, PolicyRecord, Route } from "./domain.js";

/**
 * Which claim types a line of business covers. Travel covers medical emergencies abroad and
 * business policies carry the cyber endorsement, so the same words ("hospital", "stolen
 * laptop") can sit under different lines — the overlap is what makes classification matter.
 */
export const COVERAGE: Readonly<Record<PolicyLine, readonly ClaimType[]>> = {
  auto: ["auto"],
  home: ["property", "liability"],
  health: ["health"],
  travel: ["travel", "health"],
  business: ["liability", "property", "cyber"],
};

/**
 * Loss-adjustment expense loading per claim type: what handling the claim costs on top of the
 * payout (liability and cyber need lawyers and forensics).
 */
export const LAE_FACTOR: Readonly<Record<ClaimType, number>> = {
  auto: 1.1,
  property: 1.15,
  health: 1.05,
  travel: 1.05,
  liability: 1.3,
  cyber: 1.35,
};

/** Upper bounds of the reserve bands, USD. A reserve of 0 closes the claim without payment. */
export const ROUTE_BANDS = { fastTrackMax: 2_500, adjusterMax: 25_000 } as const;

/** True when the policy's line covers the claim type. */
export function covers(policy: PolicyRecord, type: ClaimType): boolean {
  return COVERAGE[policy.line].includes(type);
}

/** True when `date` (`YYYY-MM-DD`) falls within the policy period; ISO dates compare as text. */
export function inForce(policy: PolicyRecord, date: string): boolean {
  return date >= policy.effectiveFrom && date <= policy.effectiveTo;
}

/** Inputs of the reserve rule. */
export interface ReserveInputs {
  type: ClaimType;
  policy: PolicyRecord | null;
  /** The loss in USD. */
  lossAmount: number;
  /** Incident date; `null` means unknown, and is treated as in force (most policies are). */
  incidentDate: string | null;
}

/**
 * The reserve: what the insurer sets aside for a claim. Zero when no policy covers the claim
 * type on the incident date; otherwise the loss above the deductible, capped at the limit, plus
 * the loss-adjustment loading for the type. Whole dollars.
 * @example
 * reserveFor({ type: "auto", policy, lossAmount: 3_400, incidentDate: "2025-02-01" }); // (3400 - 500) * 1.1 = 3190
 */
export function reserveFor(inputs: ReserveInputs): number {
  const { type, policy, lossAmount, incidentDate } = inputs;
  if (policy === null || !covers(policy, type)) return 0;
  if (incidentDate !== null && !inForce(policy, incidentDate)) return 0;
  const payable = Math.min(Math.max(lossAmount - policy.deductible, 0), policy.limit);
  return Math.round(payable * LAE_FACTOR[type]);
}

/**
 * The approval route for a reserve.
 * @example
 * routeFor(0); // "close-no-payment"
 * routeFor(1_800); // "fast-track"
 */
export function routeFor(reserve: number): Route {
  if (reserve <= 0) return "close-no-payment";
  if (reserve <= ROUTE_BANDS.fastTrackMax) return "fast-track";
  if (reserve <= ROUTE_BANDS.adjusterMax) return "adjuster";
  return "senior-adjuster";
}

/**
 * Whether two reserves agree. A reserve is an estimate that adjusters refine, so within 10%
 * (or $50 on small amounts) counts as right; zero only matches zero, because "pay nothing" and
 * "pay a little" are different decisions.
 */
export function reservesAgree(a: number, b: number): boolean {
  if (a === 0 || b === 0) return a === b;
  return Math.abs(a - b) <= Math.max(50, 0.1 * Math.max(a, b));
}
