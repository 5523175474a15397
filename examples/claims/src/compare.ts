/**
 * When a step's output counts as correct. One definition shared by the tests, the evaluation
 * and (as a custom comparator) the golden executor, so "accuracy" means the same thing everywhere.
 */
import type { ClaimFields, ClaimTruth, StepName } from "./domain.js";
import { reservesAgree } from "./rules.js";

/** Amounts agree to the cent; `null` (not stated) only matches `null`. */
function sameAmount(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) < 0.005;
}

/**
 * Extracted fields are correct when every structured field is. The free-text description is not
 * compared: where a narrative starts and ends is not a fact, and the classifier that reads it is
 * judged on its own output.
 */
export function fieldsCorrect(predicted: ClaimFields, truth: ClaimFields): boolean {
  return (
    predicted.claimant === truth.claimant &&
    predicted.policyNo === truth.policyNo &&
    predicted.incidentDate === truth.incidentDate &&
    sameAmount(predicted.amount, truth.amount)
  );
}

/**
 * Whether `predicted` is a correct output of `step` given the case's truth.
 * @example
 * stepCorrect("reserve", 3_100, c.truth.reserve); // true within 10%
 */
export function stepCorrect<S extends StepName>(step: S, predicted: ClaimTruth[S], truth: ClaimTruth[S]): boolean {
  switch (step) {
    case "extract":
      return fieldsCorrect(predicted as ClaimFields, truth as ClaimFields);
    case "match-policy": {
      const p = predicted as ClaimTruth["match-policy"];
      const t = truth as ClaimTruth["match-policy"];
      return (p?.policyNo ?? null) === (t?.policyNo ?? null);
    }
    case "reserve":
      return reservesAgree(predicted as number, truth as number);
    default:
      return predicted === truth;
  }
}
