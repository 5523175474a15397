import type { MetricValue } from "./metric-values-store.js";

/**
 * The words and figures of an alert: which workflow, version, step and (for drift) feature, and
 * the figures that crossed their cut-offs, so a webhook or the alert list says what happened
 * without a trip to the dashboard.
 */

interface DriftTestFigures {
  series: string;
  level: string;
  psi: number | null;
  distance: number | null;
  distanceKind: string;
  adjustedP: number | null;
  baselineN: number;
  currentN: number;
}

const fmt = (v: number | null | undefined) =>
  v === null || v === undefined ? "—" : Math.abs(v) > 0 && Math.abs(v) < 0.001 ? v.toExponential(1) : String(Math.round(v * 1000) / 1000);
const seriesName = (s: string) =>
  s.startsWith("f:") ? `feature ${s.slice(2)}` : s.startsWith("len:") ? `length of ${s.slice(4)}` : s.startsWith("shape:") ? `pattern of ${s.slice(6)}` : s;

export function describeCrossing(m: MetricValue, rule: { op: string; threshold: number }): { message: string; details: Record<string, unknown> } {
  const where = `${m.workflow} v${m.version}${m.step === "" ? " (end to end)" : ` / ${m.step}`}`;
  if (m.metric === "drift.level") {
    const tests = ((m.details as { tests?: DriftTestFigures[] } | undefined)?.tests ?? []).filter((t) => t.level === "alert");
    const features = tests.map((t) => ({
      series: t.series,
      psi: t.psi,
      distance: t.distance,
      distanceKind: t.distanceKind,
      adjustedP: t.adjustedP,
      baselineN: t.baselineN,
      currentN: t.currentN,
    }));
    const parts = features.map(
      (f) =>
        `${seriesName(f.series)} (PSI ${fmt(f.psi)}, ${f.distanceKind === "wasserstein" ? "W1/sd" : "JS"} ${fmt(f.distance)}, adjusted p ${fmt(f.adjustedP)}, n ${f.baselineN}/${f.currentN})`,
    );
    return { message: `Drift in ${where}: ${parts.length > 0 ? parts.join("; ") : "level alert"}`, details: { features } };
  }
  if (m.metric === "threshold.unmet") {
    const d = m.details as
      | { targetAccuracy?: number; trigger?: { precisionAtCurrent?: { precision?: number | null; effectiveN?: number } }; action?: string }
      | undefined;
    const p = d?.trigger?.precisionAtCurrent;
    return {
      message: `No threshold within bounds meets target ${fmt(d?.targetAccuracy)} for ${where}: precision ${fmt(p?.precision)} on ${fmt(p?.effectiveN)} effective labels; action: ${d?.action ?? "alert"}`,
      details: { targetAccuracy: d?.targetAccuracy ?? null, precision: p?.precision ?? null, effectiveN: p?.effectiveN ?? null, action: d?.action ?? null },
    };
  }
  return { message: `${m.metric} ${fmt(m.value)} ${rule.op} ${fmt(rule.threshold)} for ${where}`, details: {} };
}
