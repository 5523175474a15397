const HOUR = 3_600_000;
/** The analytics pages' default span: the last 7 days. */
export const ANALYTICS_DAYS = 7;

/**
 * The window every analytics figure of the dashboard reads: the 7 days up to the end of the
 * current hour, whole hours (the rollups' grain), the same as the analytics API's default. The
 * overview's cards and the analytics pages pass it alike, so the overview's ECE and the
 * Calibration page's are one computation over one window, not two that differ by a few hours.
 */
export function analyticsWindow(now = Date.now()): { from: string; to: string } {
  const to = Math.ceil((now + 1) / HOUR) * HOUR;
  return { from: new Date(to - ANALYTICS_DAYS * 24 * HOUR).toISOString(), to: new Date(to).toISOString() };
}
