/**
 * Calendar arithmetic on `YYYY-MM-DD` strings, always in UTC: a claim date is a calendar day,
 * and reading it in the host's time zone would make the same email mean different days on
 * different machines.
 */

const DAY_MS = 86_400_000;

export const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"] as const;

export const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"] as const;

/** The UTC calendar day of an instant. */
export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Midnight UTC of a calendar day, or NaN for a malformed or impossible date. */
export function dayMs(iso: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) return Number.NaN;
  return utcDay(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** Midnight UTC of year/month/day, or NaN when the day does not exist (31 April). */
export function utcDay(year: number, month: number, day: number): number {
  const ms = Date.UTC(year, month - 1, day);
  const d = new Date(ms);
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return Number.NaN;
  return ms;
}

export function addDays(iso: string, days: number): string {
  return isoDay(dayMs(iso) + days * DAY_MS);
}

/** Whole days from `a` to `b` (positive when b is later). */
export function daysBetween(a: string, b: string): number {
  return Math.round((dayMs(b) - dayMs(a)) / DAY_MS);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(iso: string): number {
  return new Date(dayMs(iso)).getUTCDay();
}
