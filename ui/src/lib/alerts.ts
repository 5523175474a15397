import type { AlertView } from "./types.js";

/** Metric names as people say them; an unknown metric keeps its stored name. */
const METRICS: Record<string, string> = {
  "calibration.ece": "ECE",
  "calibration.mce": "MCE",
  "calibration.brier": "Brier score",
  "escalation.rate": "escalation rate",
  "flag.rate": "flag rate",
  "spot_check.rate": "spot-check rate",
  "auto.rate": "auto-completion rate",
  "drift.level": "drift level",
};
const OPS: Record<string, string> = { ">": ">", ">=": "≥", "<": "<", "<=": "≤" };

/** A feature series (`f:amount`) by its feature's name; `confidence` and `output` as they are. */
export const seriesName = (s: string) => (s.startsWith("f:") ? s.slice(2) : s);

const num = (v: number) => (v !== 0 && Math.abs(v) < 0.001 ? v.toExponential(1) : String(Number(v.toFixed(3))));

/**
 * An alert in words: "drift on extract · amount: PSI 0.31 ≥ 0.25" rather than "drift.level 2 /
 * threshold 2"; other rules as "escalation rate on classify: 0.31 > 0.1". The value is the
 * latest one seen (what is true now), falling back to the one that fired it.
 */
export function alertText(a: AlertView): string {
  const where = a.step ?? a.workflow;
  const c = a.cause;
  if (a.metric === "drift.level" && c) {
    const on = `drift on ${where} · ${seriesName(c.series)}`;
    const psiPast = c.psi !== null && c.psiAlert !== undefined && c.psi >= c.psiAlert;
    const pPast = c.pvalue !== null && c.pAlert !== undefined && c.pvalue < c.pAlert;
    if (psiPast || (c.psi !== null && !pPast))
      return `${on}: PSI ${num(c.psi!)}${c.psiAlert !== undefined ? ` ${psiPast ? "≥" : "<"} ${num(c.psiAlert)}` : ""}`;
    const test = c.test === "ks" ? "KS" : "χ²";
    if (c.pvalue !== null) return `${on}: ${test} p = ${num(c.pvalue)}${c.pAlert !== undefined ? ` ${pPast ? "<" : "≥"} ${num(c.pAlert)}` : ""}`;
    return on;
  }
  const value = a.lastValue ?? a.value;
  const metric = METRICS[a.metric] ?? a.metric;
  if (value === null) return `${metric} on ${where}`;
  const op = a.op ? OPS[a.op] : "vs";
  return `${metric} on ${where}: ${num(value)}${a.threshold !== null ? ` ${op} ${num(a.threshold)}` : ""}`;
}
