/**
 * The match-policy step: a direct lookup in the policy book. The number alone is not trusted
 * blindly — it is checked against the claimant's name, repaired when one slip away from a
 * policy held under that name, and replaced by a name search when missing. What it cannot see is
 * a customer quoting the wrong one of their own policies: number and name agree, and it is
 * confidently wrong (the claim type, computed in parallel, is what would have told).
 */
import type { ClaimFields, PolicyMatch, PolicyRecord } from "./domain.js";
import { roundConfidence, type ModelOutput } from "./model-output.js";
import type { MatchPolicyParams } from "./params.js";
import type { PolicyDb } from "./policy-db.js";
import { editDistance, sameName } from "./text.js";

type Method = "exact" | "exact-name-mismatch" | "fuzzy" | "name" | "none";

function result(
  value: PolicyRecord | null,
  confidence: number,
  method: Method,
  reasoning: string,
  alternatives: PolicyRecord[] = [],
): ModelOutput<PolicyMatch> {
  const out: ModelOutput<PolicyMatch> = {
    value,
    confidence: roundConfidence(confidence),
    reasoning,
    features: { method, line: value?.line ?? "none" },
  };
  if (alternatives.length > 0) out.alternatives = alternatives.slice(0, 3);
  return out;
}

/** Policies whose number is one slip (a changed, missing, extra or swapped digit) away. */
function oneSlipAway(policyNo: string, db: PolicyDb): PolicyRecord[] {
  const digits = policyNo.slice(4);
  return db.policies.filter((p) => editDistance(digits, p.policyNo.slice(4)) === 1);
}

/**
 * Finds the policy a claim is made under.
 * @example
 * const r = matchPolicy(fields, createPolicyDb(), defaultModelParams.matchPolicy);
 * r.value?.policyNo; r.confidence;
 */
export function matchPolicy(fields: Pick<ClaimFields, "policyNo" | "claimant">, db: PolicyDb, params: MatchPolicyParams): ModelOutput<PolicyMatch> {
  const c = params.confidence;
  const { policyNo, claimant } = fields;
  const byName = claimant === null ? [] : db.byHolder(claimant);

  if (policyNo !== null) {
    const exact = db.get(policyNo);
    if (exact) {
      if (claimant === null) return result(exact, c.exactNoName, "exact", `${policyNo} found (holder ${exact.holder}); no claimant name to confirm it`);
      if (sameName(exact.holder, claimant)) return result(exact, c.exactWithName, "exact", `${policyNo} found, held by ${exact.holder} as claimed`);
      // The number is someone else's: either mistyped onto another policy, or a relative writing
      // for the holder. A policy under the claimant's own name is the better bet when there is one.
      if (byName.length === 1) {
        return result(
          byName[0]!,
          c.exactNameMismatch * 0.7,
          "name",
          `${policyNo} belongs to ${exact.holder}, not ${claimant}; using ${claimant}'s policy ${byName[0]!.policyNo}`,
          [exact],
        );
      }
      return result(exact, c.exactNameMismatch, "exact-name-mismatch", `${policyNo} found but held by ${exact.holder}, not ${claimant}`, [...byName]);
    }
    const near = oneSlipAway(policyNo, db);
    const nearNamed = claimant === null ? [] : near.filter((p) => sameName(p.holder, claimant));
    if (nearNamed.length === 1) {
      return result(nearNamed[0]!, c.fuzzyWithName, "fuzzy", `${policyNo} not found; ${nearNamed[0]!.policyNo} is one digit away and held by ${claimant}`);
    }
    if (near.length === 1 && claimant === null) {
      return result(near[0]!, c.fuzzyNoName, "fuzzy", `${policyNo} not found; ${near[0]!.policyNo} is one digit away (no name to confirm)`);
    }
  }

  if (byName.length === 1) {
    const why = policyNo === null ? "no policy number" : `${policyNo} not found`;
    return result(byName[0]!, c.nameUnique, "name", `${why}; ${claimant} holds exactly one policy`);
  }
  if (byName.length > 1) {
    // Namesakes, or one holder with several policies: nothing here says which; the claim type
    // would, but it is decided in parallel. Pick the first (stable) and say how unsure.
    return result(
      byName[0]!,
      c.nameAmbiguous / byName.length,
      "name",
      `${byName.length} policies under the name ${claimant}; picked ${byName[0]!.policyNo}`,
      byName.slice(1),
    );
  }
  if (policyNo !== null)
    return result(null, c.noneAfterNumber, "none", `${policyNo} not found, nor any policy one digit away${claimant ? ` or under ${claimant}` : ""}`);
  return result(null, c.noneNothingToGoOn, "none", "no policy number and no policyholder name to search by");
}
