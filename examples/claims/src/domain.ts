/**
 * The claims domain: what flows between the five steps, and what a generated case knows to be
 * true about each of them.
 */

/**
 * The kinds of claim the insurer handles. `cyber` is the newest product line: the version-1
 * models were built before it existed, which is what the drift demo leans on.
 */
export type ClaimType = "auto" | "property" | "health" | "travel" | "liability" | "cyber";

/** Every claim type, in a fixed order (iteration order matters for deterministic output). */
export const CLAIM_TYPES: readonly ClaimType[] = ["auto", "property", "health", "travel", "liability", "cyber"];

/** A line of business; each covers one or more claim types (see `COVERAGE` in rules.ts). */
export type PolicyLine = "auto" | "home" | "health" | "travel" | "business";

/** An inbound claim email, as the mail gateway hands it over. */
export interface ClaimEmail {
  messageId: string;
  /** The raw From header, e.g. `Maria Garcia <maria.garcia@example.com>` or a bare address. */
  from: string;
  subject: string;
  body: string;
  /** ISO 8601 time the email arrived. Relative dates ("yesterday") are read against it. */
  receivedAt: string;
}

/**
 * The fields of a claim as stated in the email. A field the email does not state is `null`:
 * the right extraction of a missing amount is "no amount", not a guess.
 */
export interface ClaimFields {
  /** The claimant's full name, title case. */
  claimant: string | null;
  /** The policy number as written, normalised to `POL-1234567` (a customer's typo stays a typo). */
  policyNo: string | null;
  /** Date of the incident, `YYYY-MM-DD`. */
  incidentDate: string | null;
  /** The amount claimed, in US dollars, as stated (approximate wording included). */
  amount: number | null;
  /**
   * What happened, in the claimant's words. Free text carried to the classifier; not compared
   * for correctness (see `stepCorrect`), because where a narrative starts and ends is a matter of
   * taste, while the structured fields are not.
   */
  description: string;
}

/** One policy in the insurer's book. */
export interface PolicyRecord {
  policyNo: string;
  holder: string;
  line: PolicyLine;
  /** First day of cover, `YYYY-MM-DD`. */
  effectiveFrom: string;
  /** Last day of cover, `YYYY-MM-DD`. */
  effectiveTo: string;
  /** Maximum payout per claim, USD. */
  limit: number;
  /** The part of each loss the holder pays, USD. */
  deductible: number;
}

/** The output of match-policy: the policy the claim is made under, or `null` for none found. */
export type PolicyMatch = PolicyRecord | null;

/** Where a claim goes for approval, decided by its reserve (see `routeFor`). */
export type Route = "close-no-payment" | "fast-track" | "adjuster" | "senior-adjuster";

/** The five steps of the claims workflow, in order. */
export type StepName = "extract" | "classify" | "match-policy" | "reserve" | "route";

/** The step names in execution order (classify and match-policy run in parallel). */
export const STEP_NAMES: readonly StepName[] = ["extract", "classify", "match-policy", "reserve", "route"];

/** The correct output of every step for one case. */
export interface ClaimTruth {
  extract: ClaimFields;
  classify: ClaimType;
  "match-policy": PolicyMatch;
  reserve: number;
  route: Route;
}

/** Facts the generator knows but the email may not state; the reserve rule is defined on them. */
export interface ClaimFacts {
  /** The real size of the loss, USD (the email may round it, or not state it). */
  lossAmount: number;
  /** The real incident date, `YYYY-MM-DD`. */
  incidentDate: string;
}

/** One generated case: an email and the truth at every step. */
export interface ClaimCase {
  /** Stable across runs for the same seed and index: `claims-<seed>-<index>`. */
  id: string;
  email: ClaimEmail;
  truth: ClaimTruth;
  facts: ClaimFacts;
  /** What makes this case interesting (template, noise, traps), for slicing golden-set results. */
  tags: string[];
}
