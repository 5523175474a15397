import { api } from "./api.js";
import { countByBucket } from "./charts/sparkline.js";
import { formatAgo } from "./format.js";
import type { JobListResponse, JobRunsResponse, QueueCountResponse, Role } from "./types.js";
import { analyticsWindow } from "./windows.js";

const DAY = 86_400_000;
export const OVERVIEW_DAYS = 7;

export interface Figure {
  key: string;
  label: string;
  value: string;
  series: (number | null)[];
  /** Rates share one [0, 1] scale so cards compare by eye. */
  fixed?: [number, number];
  hint?: string;
  /** How fresh the figure is ("counted as runs arrive", "rolled up 4 min ago"). */
  fresh?: string;
  href?: string;
}

export interface OverviewData {
  workflows: string[];
  workflow: string | null;
  figures: Figure[];
}

const pct = (r: number | null | undefined) => (r === null || r === undefined ? "—" : `${(r * 100).toFixed(1)}%`);

/** When the rollups the rate cards read were last brought up to date, and whether jobs run. */
export interface Freshness {
  /** End of the newest successful rollup run; null when none is on record. */
  rolledUpAt: string | null;
  /** Whether this server schedules jobs (null: unknown). */
  scheduled: boolean | null;
}

/** Reads the rollup job's newest successful run out of its history and the job list. */
export function freshnessOf(runs: JobRunsResponse | null, jobs: JobListResponse | null): Freshness {
  const ok = runs?.items.find((r) => r.outcome === "ok" && r.endedAt !== null);
  const rollup = jobs?.items.find((j) => j.name === "rollup");
  return { rolledUpAt: ok?.endedAt ?? null, scheduled: rollup ? rollup.schedule !== null : null };
}

/** The age note of a card computed from the rollups. */
export function rollupNote(f: Freshness, now: number): string {
  if (f.rolledUpAt) return `rolled up ${formatAgo(f.rolledUpAt, now)}`;
  return f.scheduled === false
    ? "no rollup yet: scheduled jobs are off on this server; an admin can run `seamtrace jobs run rollup`"
    : "no rollup yet: the rollup job has not run (it runs every few minutes)";
}

/**
 * Why a rate card shows "—": the rollups have never run, or they ran and hold no steps of this
 * workflow in the window. Null when there is a value.
 */
export function whyNoRate(value: number | null | undefined, f: Freshness, steps: number): string | null {
  if (value !== null && value !== undefined) return null;
  if (!f.rolledUpAt) return "no rollup yet";
  return steps === 0 ? "no steps rolled up in the last 7 days" : null;
}

/**
 * The overview's windows: whole UTC days for the run counts (one sparkline point a day), and for
 * every analytics figure the window the analytics pages read (so the ECE here is the
 * Calibration page's).
 */
export function overviewWindows(now: number): { days: { from: number; to: number }; analytics: { from: string; to: string } } {
  const to = Math.ceil(now / DAY) * DAY;
  return { days: { from: to - OVERVIEW_DAYS * DAY, to }, analytics: analyticsWindow(now) };
}

/**
 * The server's counts per UTC day raised as one point a day from `from` (a UTC midnight): days
 * the server left out had none; days outside the window are not drawn (they are in the total).
 */
export function perDaySeries(byDay: QueueCountResponse["byDay"], from: number, days: number): number[] {
  const series = new Array<number>(days).fill(0);
  for (const d of byDay) {
    const i = Math.floor((Date.parse(`${d.day}T00:00:00Z`) - from) / DAY);
    if (i >= 0 && i < days) series[i]! += d.count;
  }
  return series;
}

/** Runs per UTC day over the window, each day's count from `GET /v1/workflows` (hourly run counts). */
async function runsPerDay(workflow: string, from: number): Promise<number[]> {
  const days = Array.from({ length: OVERVIEW_DAYS }, (_, i) => from + i * DAY);
  return Promise.all(
    days.map(async (d) => {
      const res = await api.workflows({ from: new Date(d).toISOString(), to: new Date(d + DAY).toISOString() });
      return res.items.find((w) => w.name === workflow)?.runCount ?? 0;
    }),
  );
}

/**
 * Loads the overview's figures for one workflow over the last week. Analytics are admin- and
 * analyst-only on the server, so a reviewer sees run and queue figures only. Every count is a
 * total from the hourly counts the server keeps (runs as they arrive, steps in the rollups),
 * never a count of one page of items.
 */
export async function loadOverview(role: Role, wanted: string | null, now = Date.now()): Promise<OverviewData> {
  const { days, analytics: week } = overviewWindows(now);
  const { from, to } = days;
  const iso = (ms: number) => new Date(ms).toISOString();
  const wfs = await api.workflows({ from: iso(from), to: iso(to) });
  const names = [...wfs.items].sort((a, b) => b.runCount - a.runCount).map((w) => w.name);
  const workflow = wanted && names.includes(wanted) ? wanted : (names[0] ?? null);
  if (!workflow) return { workflows: [], workflow: null, figures: [] };

  const analytics = role === "admin" || role === "analyst";
  const [perDay, queue, rates, calibration, alerts, golden, rollupRuns, jobs] = await Promise.all([
    runsPerDay(workflow, from),
    // A count, not a page: the card shows the whole queue however long it is.
    api.escalationCount({ workflow, status: "active" }),
    analytics ? api.escalationRates({ workflow, ...week, interval: "day" }) : null,
    analytics ? api.calibration({ workflow, ...week, interval: "day" }) : null,
    analytics ? api.alerts({ status: "firing", ...week }) : null,
    // Golden results are optional (a server without them, or none stored): the card says so.
    analytics ? api.goldenResults({ workflow, limit: 10 }).catch(() => "unavailable" as const) : null,
    // The age of the rollups; a server that cannot say leaves the note out, not the page.
    analytics ? api.jobRuns({ job: "rollup", limit: 20 }).catch(() => null) : null,
    analytics ? api.jobs().catch(() => null) : null,
  ]);
  const fresh = freshnessOf(rollupRuns, jobs);
  const rolled = rollupRuns || jobs ? rollupNote(fresh, now) : undefined;

  const enc = encodeURIComponent(workflow);
  const total = wfs.items.find((w) => w.name === workflow)?.runCount ?? 0;
  const figures: Figure[] = [
    {
      key: "runs",
      label: "Runs",
      value: total.toLocaleString("en"),
      series: perDay,
      hint: "per day, last 7 days",
      fresh: "counted as runs arrive",
      href: `/runs?workflow=${enc}`,
    },
  ];
  if (rates) {
    const steps = rates.totals.steps;
    const why = (v: number | null) => whyNoRate(v, fresh, steps);
    figures.push(
      {
        key: "auto",
        label: "Auto-completion rate",
        value: pct(rates.totals.autoRate),
        series: rates.trend.map((t) => t.autoRate),
        fixed: [0, 1],
        hint: why(rates.totals.autoRate) ?? "steps that passed their gate",
        ...(rolled ? { fresh: rolled } : {}),
      },
      {
        key: "escalation",
        label: "Escalation rate (steps)",
        value: pct(rates.totals.escalationRateSteps),
        series: rates.trend.map((t) => t.escalationRateSteps),
        fixed: [0, 1],
        hint: why(rates.totals.escalationRateSteps) ?? "step outputs sent to review",
        ...(rolled ? { fresh: rolled } : {}),
      },
    );
  }
  if (calibration) {
    const ece = calibration.reliability.ece;
    figures.push({
      key: "ece",
      label: "ECE",
      value: ece === null ? "—" : ece.toFixed(3),
      series: calibration.trend.map((t) => t.ece),
      href: `/calibration?workflow=${enc}`,
      hint:
        !fresh.rolledUpAt && ece === null
          ? "no rollup yet"
          : calibration.reliability.count === 0
            ? "no labelled steps yet: review some escalations"
            : `${calibration.reliability.count.toLocaleString("en")} labelled steps`,
      ...(rolled ? { fresh: rolled } : {}),
    });
  }
  if (alerts) {
    const mine = alerts.items.filter((a) => a.workflow === workflow);
    figures.push({
      key: "alerts",
      label: "Open alerts",
      value: String(mine.length),
      series: countByBucket(
        mine.map((a) => a.firedAt),
        from,
        to,
        OVERVIEW_DAYS,
      ),
      hint: "firing now, by day fired",
    });
  }
  if (golden) {
    const items = golden === "unavailable" ? [] : golden.items;
    const latest = items[0];
    figures.push({
      key: "golden",
      label: "Golden accuracy",
      value: pct(latest?.endToEndAccuracy),
      // Oldest first: one point per golden run, not per day.
      series: items.map((r) => r.endToEndAccuracy).reverse(),
      fixed: [0, 1],
      hint:
        golden === "unavailable"
          ? "golden results unavailable on this server"
          : latest
            ? `end to end, v${latest.version} on ${latest.set}${latest.regressions > 0 ? `, ${latest.regressions} regression${latest.regressions === 1 ? "" : "s"}` : ""}`
            : "no golden runs yet: seamtrace golden run … --server",
      href: `/golden?workflow=${enc}`,
    });
  }
  figures.push({
    key: "queue",
    label: "Open escalations",
    value: queue.total.toLocaleString("en"),
    series: perDaySeries(queue.byDay, from, OVERVIEW_DAYS),
    hint: "waiting for a reviewer or an adjudicator, by day raised",
    fresh: "live",
    href: `/review?workflow=${enc}`,
  });
  return { workflows: names, workflow, figures };
}
