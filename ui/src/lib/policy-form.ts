import type { PolicyBody, ServedPolicy } from "./types.js";

/** The fractions an admin sets on a policy, in the order the form shows them. */
export const FRACTION_FIELDS = [
  { key: "minConfidence", label: "Min confidence", hint: "a step below this is escalated (or flagged)" },
  { key: "minCumulative", label: "Min cumulative", hint: "the run's running product of confidences" },
  { key: "spotCheckRate", label: "Spot-check rate", hint: "share of passing steps sent for a non-blocking check" },
  { key: "targetAccuracy", label: "Target accuracy", hint: "auto-tighten raises min confidence to reach it" },
  { key: "tightenMin", label: "Tighten floor", hint: "lowest min confidence auto-tighten may set" },
  { key: "tightenMax", label: "Tighten ceiling", hint: "highest min confidence auto-tighten may set" },
] as const;
export type FractionField = (typeof FRACTION_FIELDS)[number]["key"];

/** The form's text fields: "" means unset. `requireConfidence`: "" unset, "yes" require one, "no" let unscored steps pass. */
export type PolicyForm = Record<FractionField, string> & { onLow: "" | "escalate" | "flag"; requireConfidence: "" | "yes" | "no"; reason: string };

export function formOf(p: ServedPolicy | null): PolicyForm {
  const s = (v: number | undefined) => (v === undefined ? "" : String(v));
  return {
    minConfidence: s(p?.minConfidence),
    minCumulative: s(p?.minCumulative),
    spotCheckRate: s(p?.spotCheckRate),
    targetAccuracy: s(p?.targetAccuracy),
    tightenMin: s(p?.tightenMin),
    tightenMax: s(p?.tightenMax),
    onLow: p?.onLow ?? "",
    requireConfidence: p?.requireConfidence === undefined ? "" : p.requireConfidence ? "yes" : "no",
    reason: "",
  };
}

/**
 * The PUT body for a form against the policy it edits (null: a new one): only the fields that
 * changed, a cleared field as null (the API's "clear"), each fraction checked in [0, 1]. Problems
 * are sentences for the form; the body is null while there are any.
 */
export function policyBodyOf(form: PolicyForm, before: ServedPolicy | null): { body: PolicyBody | null; problems: string[] } {
  const problems: string[] = [];
  const body: PolicyBody = {};
  const values: Partial<Record<FractionField, number | null>> = {};
  for (const { key, label } of FRACTION_FIELDS) {
    const raw = form[key].trim();
    let v: number | null = null;
    if (raw !== "") {
      v = Number(raw);
      if (!Number.isFinite(v) || v < 0 || v > 1) {
        problems.push(`${label} must be a number from 0 to 1.`);
        continue;
      }
    }
    values[key] = v;
    if (v !== (before?.[key] ?? null)) body[key] = v;
  }
  const lo = values.tightenMin ?? null;
  const hi = values.tightenMax ?? null;
  if (lo !== null && hi !== null && lo > hi) problems.push("The tighten floor must not be above the ceiling.");
  const onLow = form.onLow === "" ? null : form.onLow;
  if (onLow !== (before?.onLow ?? null)) body.onLow = onLow;
  const require = form.requireConfidence === "" ? null : form.requireConfidence === "yes";
  if (require !== (before?.requireConfidence ?? null)) body.requireConfidence = require;
  if (Object.keys(body).length === 0 && problems.length === 0) problems.push(before ? "Nothing changed." : "Set at least one field.");
  if (!form.reason.trim()) problems.push("Say why, for the policy history.");
  else body.reason = form.reason.trim();
  return problems.length > 0 ? { body: null, problems } : { body, problems };
}
