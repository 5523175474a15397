import { scaleThreshold } from "d3-scale";

/**
 * Confidence bands for node colour. Discrete bands rather than a continuous ramp: a reviewer
 * must tell 0.62 from 0.91 at a glance, and the band name doubles as the text label, so colour
 * is never the only cue (WCAG 1.4.1).
 */
export type Band = "low" | "mid" | "high" | "unknown";
const scale = scaleThreshold<number, Band>().domain([0.6, 0.85]).range(["low", "mid", "high"]);

export function confidenceBand(c: number | null | undefined): Band {
  return c === null || c === undefined || !Number.isFinite(c) ? "unknown" : scale(c);
}

export function formatConfidence(c: number | null | undefined): string {
  return c === null || c === undefined || !Number.isFinite(c) ? "—" : c.toFixed(2);
}

export function formatRate(r: number | null | undefined): string {
  return r === null || r === undefined || !Number.isFinite(r) ? "—" : `${(r * 100).toFixed(1)}%`;
}
