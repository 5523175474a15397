/**
 * The route step: the approval route for a reserve. The rule is exact, but a reserve is an
 * estimate that counts as right within 10% — so a reserve near a band boundary may belong on the
 * other side of it, and the route says so with a lower confidence.
 */
import type { Route } from "./domain.js";
import { roundConfidence, type ModelOutput } from "./model-output.js";
import type { RouteParams } from "./params.js";
import { ROUTE_BANDS, routeFor } from "./rules.js";

/**
 * Routes a claim by its reserve.
 * @example
 * routeClaim(2_400, defaultModelParams.route); // { value: "fast-track", confidence ≈ 0.83, … }: near the $2,500 boundary
 */
export function routeClaim(reserve: number, params: RouteParams): ModelOutput<Route> {
  const value = routeFor(reserve);
  if (reserve <= 0) {
    return { value, confidence: roundConfidence(params.zero), reasoning: "zero reserve: close without payment", features: { route: value } };
  }
  const bounds = [ROUTE_BANDS.fastTrackMax, ROUTE_BANDS.adjusterMax];
  const distance = Math.min(...bounds.map((b) => Math.abs(Math.log(reserve / b))));
  const t = Math.min(1, distance / params.boundaryLogMargin);
  const confidence = params.atBoundary + (params.far - params.atBoundary) * t;
  const nearest = bounds.reduce((a, b) => (Math.abs(Math.log(reserve / a)) <= Math.abs(Math.log(reserve / b)) ? a : b));
  return {
    value,
    confidence: roundConfidence(confidence),
    reasoning: `reserve $${reserve} → ${value}${t < 1 ? ` (within ${Math.round(distance * 100)}% of the $${nearest} boundary)` : ""}`,
    features: { route: value },
  };
}
