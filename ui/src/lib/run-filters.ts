const DAY = 86_400_000;

export interface RunFilters {
  workflow: string;
  version: string;
  status: string;
  q: string;
  /** `YYYY-MM-DD` (a date input's value), or empty. */
  from: string;
  to: string;
}

const dayStart = (date: string) => {
  const ms = Date.parse(`${date}T00:00:00Z`);
  return Number.isNaN(ms) ? null : ms;
};

/**
 * The runs list's filters as `GET /v1/runs` parameters. Dates are whole UTC days, both ends
 * included (a list "to 6 March" shows that day's runs), so `to` becomes the next day's start;
 * the server bounds the window to a year and answers a reversed one with a 400.
 */
export function runQuery(f: RunFilters, now = Date.now()): Record<string, string | undefined> {
  const from = f.from ? dayStart(f.from) : null;
  const to = f.to ? dayStart(f.to) : null;
  return {
    workflow: f.workflow || undefined,
    version: f.version || undefined,
    status: f.status || undefined,
    q: f.q.trim() || undefined,
    from: from === null ? undefined : new Date(from).toISOString(),
    // A start alone runs to now; one in the future would make the window end before it starts.
    to: to !== null ? new Date(to + DAY).toISOString() : from !== null && from + DAY > now ? new Date(from + DAY).toISOString() : undefined,
  };
}
