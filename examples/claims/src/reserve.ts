/**
 * The reserve step: the insurer's reserve rule applied to what the upstream steps found. Its own
 * uncertainty is about what the rule had to assume — an average loss when no amount was stated,
 * "in force" when no date was — and about inputs that do not fit together: a policy that does not
 * cover the claim type usually means the type or the policy is wrong, not that the claim is void.
 */
import type { ClaimFields, ClaimType, PolicyMatch } from "./domain.js";
import { roundConfidence, type ModelOutput } from "./model-output.js";
import type { ReserveParams } from "./params.js";
import { covers, inForce, reserveFor } from "./rules.js";

/** The kind of evidence behind a reserve, named as in `ReserveParams.confidence`. */
export type ReserveEvidence = "stated" | "capped" | "standard" | "standardCapped" | "noPolicy" | "notCovered" | "lapsed";

/** What the reserve step consumes. */
export interface ReserveInput {
  fields: Pick<ClaimFields, "amount" | "incidentDate">;
  type: ClaimType;
  policy: PolicyMatch;
}

/**
 * Estimates the reserve for a claim, USD.
 * @example
 * estimateReserve({ fields, type: "auto", policy }, defaultModelParams.reserve).value; // e.g. 3190
 */
export function estimateReserve(input: ReserveInput, params: ReserveParams): ModelOutput<number> {
  const c = params.confidence;
  const { fields, type, policy } = input;
  const stated = fields.amount !== null;
  const loss = fields.amount ?? params.standardLoss[type];
  const value = reserveFor({ type, policy, lossAmount: loss, incidentDate: fields.incidentDate });
  let confidence: number;
  let reasoning: string;
  let evidence: ReserveEvidence;
  if (policy === null) {
    evidence = "noPolicy";
    confidence = c.noPolicy;
    reasoning = "no policy matched: nothing to reserve against";
  } else if (!covers(policy, type)) {
    evidence = "notCovered";
    confidence = c.notCovered;
    reasoning = `${policy.line} policy ${policy.policyNo} does not cover ${type} claims (type or policy may be wrong)`;
  } else if (fields.incidentDate !== null && !inForce(policy, fields.incidentDate)) {
    evidence = "lapsed";
    confidence = c.lapsed;
    reasoning = `policy ${policy.policyNo} not in force on ${fields.incidentDate} (${policy.effectiveFrom} to ${policy.effectiveTo})`;
  } else {
    const payable = Math.max(loss - policy.deductible, 0);
    const capped = payable > policy.limit;
    // Past the limit the loss no longer matters: an assumed or misread amount cannot move it.
    evidence = stated ? (capped ? "capped" : "stated") : capped ? "standardCapped" : "standard";
    confidence = c[evidence];
    reasoning = `${stated ? `stated loss $${loss}` : `no amount stated; standard ${type} loss $${loss} assumed`} − deductible $${policy.deductible}${capped ? `, capped at limit $${policy.limit}` : ""}, × ${type} handling loading = $${value}`;
    if (fields.incidentDate === null) {
      confidence *= c.unknownDateFactor;
      reasoning += "; incident date unknown, assumed in force";
    }
  }
  return {
    value,
    confidence: roundConfidence(confidence),
    reasoning,
    features: { reserve: value, amountStated: stated, covered: policy !== null && covers(policy, type), evidence, dateKnown: fields.incidentDate !== null },
  };
}
