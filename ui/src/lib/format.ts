/** Display helpers shared by the pages. */

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * A duration in the two largest units that matter ("1 day", "2 h 5 min", "2 min 5 s"), never
 * "1440 min 0 s": a zero second unit is left out, and whole days read as days.
 */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < MIN) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < HOUR - 500) {
    const s = Math.round(ms / 1000);
    const [m, r] = [Math.floor(s / 60), s % 60];
    return r === 0 ? `${m} min` : `${m} min ${r} s`;
  }
  if (ms < DAY - 30_000) {
    const total = Math.round(ms / MIN);
    const [h, m] = [Math.floor(total / 60), total % 60];
    return m === 0 ? `${h} h` : `${h} h ${m} min`;
  }
  const total = Math.round(ms / HOUR);
  const [d, h] = [Math.floor(total / 24), total % 24];
  return h === 0 ? plural(d, "day") : `${plural(d, "day")} ${h} h`;
}

/** How long ago an instant was, for "as of …" notes: "just now", "4 min ago", "2 days ago". */
export function formatAgo(iso: string, now = Date.now()): string {
  const ms = now - Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  if (ms < MIN) return "just now";
  if (ms < HOUR) return `${Math.floor(ms / MIN)} min ago`;
  if (ms < DAY) return `${Math.floor(ms / HOUR)} h ago`;
  return `${plural(Math.floor(ms / DAY), "day")} ago`;
}

/** Long ids shortened for tables; the full id stays in the link and the title. */
export function shortId(id: string): string {
  return id.length > 14 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}
