/** Helpers the trend pages share: day labels and percentages. Pure. */

/** "Mon 3" style labels for UTC day slices; "14:00" for hour slices. */
export function sliceLabel(fromIso: string, toIso: string): string {
  const from = new Date(fromIso);
  const to = new Date(toIso);
  if (Number.isNaN(from.getTime())) return fromIso;
  if (to.getTime() - from.getTime() <= 3_600_000) return `${String(from.getUTCHours()).padStart(2, "0")}:00`;
  return `${from.toLocaleDateString("en", { month: "short", timeZone: "UTC" })} ${from.getUTCDate()}`;
}

export const pct = (r: number | null | undefined, digits = 1) => (r === null || r === undefined ? "—" : `${(r * 100).toFixed(digits)}%`);

/** `level` of a drift verdict, as text a screen reader and a colour-blind reader both get. */
export function levelText(level: string): string {
  return level === "insufficient" ? "not enough data" : level === "skipped" ? "skipped" : level;
}
