import { mergeRules } from "@seamtrace/sdk";
import type { PolicyRow } from "../../policies/store.js";
import type { OtlpRule } from "./settle.js";

/** Served policies by workflow and step: the step's rule over the workflow's, field by field. */
export function policyIndex(rows: readonly PolicyRow[]): (workflow: string, step: string) => OtlpRule | undefined {
  const byKey = new Map<string, OtlpRule>();
  for (const r of rows) {
    const rule: OtlpRule = {};
    if (r.minConfidence !== null) rule.minConfidence = r.minConfidence;
    if (r.minCumulative !== null) rule.minCumulative = r.minCumulative;
    if (r.onLow !== null) rule.onLow = r.onLow;
    if (r.requireConfidence !== null) rule.requireConfidence = r.requireConfidence;
    if (r.confidenceFrom !== null) rule.confidenceFrom = r.confidenceFrom;
    byKey.set(`${r.workflow}\u0000${r.step}`, rule);
  }
  return (workflow, step) => {
    const wf = byKey.get(`${workflow}\u0000`);
    const own = byKey.get(`${workflow}\u0000${step}`);
    return wf && own ? (mergeRules(wf, own) as OtlpRule) : (own ?? wf);
  };
}
