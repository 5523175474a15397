/**
 * The classify step: claim type from the claimant's description. A linear model over word stems
 * with a softmax, so confidence is a probability that falls when the evidence is thin (few known
 * words, typos) or split between types — and stays high when misleading words all point the
 * same wrong way, which is exactly the case calibration has to catch.
 */
import type { ClaimFields, ClaimType } from "./domain.js";
import { CLAIM_TYPES } from "./domain.js";
import { roundConfidence, type ModelOutput } from "./model-output.js";
import type { ClassifyParams } from "./params.js";
import { stem, stems } from "./text.js";

type Compiled = ReadonlyArray<{ type: ClaimType; bias: number; weights: ReadonlyMap<string, number> }>;

// Stemming the weight table once per parameter set, not once per claim.
const compiled = new WeakMap<ClassifyParams, Compiled>();

function compile(params: ClassifyParams): Compiled {
  let c = compiled.get(params);
  if (c) return c;
  const out: Array<{ type: ClaimType; bias: number; weights: Map<string, number> }> = [];
  for (const type of CLAIM_TYPES) {
    const table = params.weights[type];
    if (!table) continue;
    const weights = new Map<string, number>();
    for (const [word, w] of Object.entries(table)) {
      const s = stem(word);
      // Two words with one stem ("leak", "leaked"): keep the stronger, don't add them up.
      if (Math.abs(w) > Math.abs(weights.get(s) ?? 0)) weights.set(s, w);
    }
    out.push({ type, bias: params.bias[type] ?? 0, weights });
  }
  if (out.length === 0) throw new RangeError("classify parameters have no claim type with weights");
  compiled.set(params, (c = out));
  return c;
}

/**
 * Classifies a claim from its extracted fields.
 * @example
 * classifyClaim({ ...fields, description: "The airline lost my luggage" }, defaultModelParams.classify).value; // "travel"
 */
export function classifyClaim(fields: Pick<ClaimFields, "description">, params: ClassifyParams): ModelOutput<ClaimType> {
  const model = compile(params);
  const tokens = stems(fields.description);
  const scored = model.map(({ type, bias, weights }) => {
    let score = bias;
    const hits: Array<[string, number]> = [];
    for (const t of tokens) {
      const w = weights.get(t);
      if (w !== undefined) {
        score += w;
        hits.push([t, w]);
      }
    }
    return { type, score, hits };
  });
  const t = params.temperature > 0 ? params.temperature : 1;
  const max = Math.max(...scored.map((s) => s.score));
  const exps = scored.map((s) => Math.exp((s.score - max) / t));
  const total = exps.reduce((a, b) => a + b, 0);
  const ranked = scored.map((s, i) => ({ ...s, p: exps[i]! / total })).sort((a, b) => b.p - a.p);
  const best = ranked[0]!;
  const second = ranked[1];
  const evidence = best.hits.length === 0 ? "no keywords for any type" : best.hits.map(([w, x]) => `${w} (+${x})`).join(", ");
  const out: ModelOutput<ClaimType> = {
    value: best.type,
    confidence: roundConfidence(best.p),
    reasoning: `${best.type} p=${best.p.toFixed(2)} from ${evidence}${second ? `; next ${second.type} p=${second.p.toFixed(2)}` : ""}`,
    features: { claimType: best.type, keywordHits: best.hits.length, margin: roundConfidence(best.p - (second?.p ?? 0)) },
  };
  const alternatives = ranked
    .slice(1)
    .filter((r) => r.p >= 0.05)
    .map((r) => r.type);
  if (alternatives.length > 0) out.alternatives = alternatives;
  return out;
}
