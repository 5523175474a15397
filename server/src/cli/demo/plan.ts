/**
 * The demo's calendar, as a pure function of its knobs: which model version serves each day and
 * how far the traffic has drifted. Days end at `endAt` (by default now), so the dashboard's
 * default windows show them.
 *
 * With 7 days: two settled days (shift 0), three drifting days on version 1 (shift ⅓, ⅔, 1),
 * the retrain at the end of day 5, and two days of version 2 on the fully drifted traffic — so
 * "before" (version 1's last day) and "after" (version 2) see the same input distribution.
 */
export const DAY_MS = 24 * 60 * 60 * 1000;

export interface DemoDayPlan {
  /** 0-based. */
  index: number;
  /** Start of the day, epoch ms (the sim clock). */
  start: number;
  /** `v1` or `v2`: the model version serving it. */
  model: "v1" | "v2";
  /** The generator's drift knob in [0, 1]. */
  shift: number;
}

export function planDays(days: number, endAt: number): DemoDayPlan[] {
  if (!Number.isInteger(days) || days < 3) throw new RangeError("the demo needs at least 3 days: settled, drifted, retrained");
  const after = Math.max(1, Math.round((days * 2) / 7));
  const before = days - after;
  // At least one day at full drift on version 1, and settled days when there is room.
  const settled = Math.max(0, Math.min(Math.floor(before * 0.4), before - 1));
  const ramp = before - settled;
  const firstStart = Math.floor(endAt / 3_600_000) * 3_600_000 - days * DAY_MS;
  return Array.from({ length: days }, (_, i) => {
    const shift = i < settled ? 0 : i < before ? (i - settled + 1) / ramp : 1;
    return { index: i, start: firstStart + i * DAY_MS, model: i < before ? "v1" : "v2", shift: Math.round(shift * 1000) / 1000 };
  });
}
