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

/**
 * Which setting wins, for the policy being edited (a workflow's, step null, or one step's): the
 * SDK applies, field by field, the step's server policy, then the workflow's, then the code's.
 * So a workflow's value does nothing for a step whose own policy sets that field, and the form
 * says so, naming those steps and their values. Sentences, for the form.
 */
export function precedenceNotes(policies: readonly ServedPolicy[], workflow: string, step: string | null, form: PolicyForm): string[] {
  const notes: string[] = [];
  const fields = FRACTION_FIELDS.filter((f) => f.key === "minConfidence" || f.key === "minCumulative" || f.key === "spotCheckRate");
  const same = policies.filter((p) => p.workflow === workflow);
  if (step === null || step === "") {
    for (const { key, label } of fields) {
      const own = same.filter((p) => p.step !== null && p[key] !== undefined);
      if (own.length === 0) continue;
      const list = own.map((p) => `${p.step} (${p[key]})`).join(", ");
      const set = form[key].trim() !== "";
      notes.push(
        `${label}: ${own.length === 1 ? "step" : "steps"} ${list} ${own.length === 1 ? "sets its own, which wins" : "set their own, which win"}; ${set ? "this value applies to the other steps only" : "the other steps follow this policy or their code"}.`,
      );
    }
    if (policies.length > 0 || notes.length > 0) notes.push("A server policy wins over the thresholds in code, a step's over its workflow's, field by field.");
    return notes;
  }
  const wf = same.find((p) => p.step === null);
  for (const { key, label } of fields) {
    const mine = form[key].trim();
    const theirs = wf?.[key];
    if (theirs === undefined) continue;
    notes.push(
      mine !== ""
        ? `${label} ${mine} here wins over the workflow's ${theirs} for ${step}.`
        : `${label} is unset here, so ${step} follows the workflow's ${theirs}.`,
    );
  }
  return notes;
}
