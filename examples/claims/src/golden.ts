/**
 * The claims workflow as a golden-run target: `seamtrace golden run golden/sets/claims.jsonl
 * --workflow examples/claims/dist/golden.js`. The comparators are the example's own definition
 * of a correct step (compare.ts), so golden accuracy means what the evaluation means. They are
 * plain functions of the executor's comparator shape, so this package needs nothing from
 * @seamtrace/golden.
 */
import type { Seamtrace } from "@seamtrace/sdk";
import { stepCorrect } from "./compare.js";
import { SEAM_CONTRACTS } from "./contracts.js";
import type { ClaimEmail, ClaimTruth, StepName } from "./domain.js";
import { claimCases } from "./generator.js";
import { claimsWorkflow, type ClaimsWorkflowOptions } from "./workflow.js";

type Verdict = { match: boolean; reason?: string };

function byRule<S extends StepName>(step: S, describe: string): (actual: unknown, expected: unknown) => Verdict {
  return (actual, expected) =>
    stepCorrect(step, actual as ClaimTruth[S], expected as ClaimTruth[S])
      ? { match: true }
      : { match: false, reason: `${describe}: got ${JSON.stringify(actual)?.slice(0, 120)}, expected ${JSON.stringify(expected)?.slice(0, 120)}` };
}

/** extract: structured fields only (not the free-text description); match-policy: the policy number; reserve: within 10%. */
export const comparators = {
  extract: byRule("extract", "fields differ"),
  "match-policy": byRule("match-policy", "another policy"),
  reserve: byRule("reserve", "reserve beyond 10%"),
};

/**
 * The input contract of every handoff (`downstream → upstream → Standard Schema`), for
 * `seamtrace seams`: what each step needs from the outputs it consumes.
 */
export const seams = SEAM_CONTRACTS;

/** Inputs for `seamtrace chaos` without a golden set: generated emails, reproducible by seed. */
export function sampleInputs(count: number, seed: number): unknown[] {
  return [...claimCases({ seed, count })].map((c) => c.email);
}

/** Builds the claims workflow on the executor's client; `options` lets tests run another model version. */
export function createGoldenWorkflow(st: Seamtrace, options: ClaimsWorkflowOptions = {}) {
  const claims = claimsWorkflow(st, options);
  return { run: (input: unknown) => claims.process(input as ClaimEmail) };
}

/** The seed and size of the committed golden set, golden/sets/claims.jsonl. */
export const CLAIMS_GOLDEN_SET = { seed: 2025, count: 320 } as const;

/**
 * Golden cases from the generator: the email as input and the generator's truth at every step as
 * the expected output. Plain objects of the golden JSONL shape (`{ id, input, expected, tags }`).
 */
export function goldenCases(options: { seed: number; count: number } = CLAIMS_GOLDEN_SET) {
  return [...claimCases(options)].map((c) => ({ id: c.id, input: c.email, expected: { ...c.truth }, tags: c.tags }));
}
