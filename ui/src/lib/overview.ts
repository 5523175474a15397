import { api } from "./api.js";
import { countByBucket } from "./charts/sparkline.js";
import type { Role } from "./types.js";

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
  href?: string;
}

export interface OverviewData {
  workflows: string[];
  workflow: string | null;
  figures: Figure[];
}

const pct = (r: number | null | undefined) => (r === null || r === undefined ? "—" : `${(r * 100).toFixed(1)}%`);

/**
 * Loads the overview's figures for one workflow over the last week. Analytics are admin- and
 * analyst-only on the server, so a reviewer sees run and queue figures only.
 */
export async function loadOverview(role: Role, wanted: string | null, now = Date.now()): Promise<OverviewData> {
  const to = Math.ceil(now / DAY) * DAY;
  const from = to - OVERVIEW_DAYS * DAY;
  const wfs = await api.workflows({ from: new Date(from).toISOString() });
  const names = [...wfs.items].sort((a, b) => b.runCount - a.runCount).map((w) => w.name);
  const workflow = wanted && names.includes(wanted) ? wanted : (names[0] ?? null);
  if (!workflow) return { workflows: [], workflow: null, figures: [] };

  const analytics = role === "admin" || role === "analyst";
  const iso = (ms: number) => new Date(ms).toISOString();
  const [runs, queue, rates, calibration, alerts, golden] = await Promise.all([
    api.runs({ workflow, from: iso(from), to: iso(to), limit: 500 }),
    api.escalations({ workflow, status: "active", limit: 200 }),
    analytics ? api.escalationRates({ workflow, from: iso(from), to: iso(to), interval: "day" }) : null,
    analytics ? api.calibration({ workflow, from: iso(from), to: iso(to), interval: "day" }) : null,
    analytics ? api.alerts({ status: "firing", from: iso(from), to: iso(to) }) : null,
    // Golden results are optional (a server without them, or none stored): the card says so.
    analytics ? api.goldenResults({ workflow, limit: 10 }).catch(() => "unavailable" as const) : null,
  ]);

  const enc = encodeURIComponent(workflow);
  const figures: Figure[] = [
    {
      key: "runs",
      label: "Runs",
      value: `${runs.items.length}${runs.nextCursor ? "+" : ""}`,
      series: countByBucket(runs.items.map((r) => r.startedAt), from, to, OVERVIEW_DAYS),
      hint: "per day, last 7 days",
      href: `/runs?workflow=${enc}`,
    },
  ];
  if (rates) {
    figures.push(
      { key: "auto", label: "Auto-completion rate", value: pct(rates.totals.autoRate), series: rates.trend.map((t) => t.autoRate), fixed: [0, 1], hint: "steps that passed their gate" },
      { key: "escalation", label: "Escalation rate", value: pct(rates.totals.escalationRate), series: rates.trend.map((t) => t.escalationRate), fixed: [0, 1], hint: "steps sent to review" },
    );
  }
  if (calibration) {
    const ece = calibration.reliability.ece;
    figures.push({
      key: "ece",
      label: "ECE",
      value: ece === null ? "—" : ece.toFixed(3),
      series: calibration.trend.map((t) => t.ece),
      hint: calibration.reliability.count === 0 ? "no labelled steps yet: review some escalations" : `${calibration.reliability.count} labelled steps`,
    });
  }
  if (alerts) {
    const mine = alerts.items.filter((a) => a.workflow === workflow);
    figures.push({ key: "alerts", label: "Open alerts", value: String(mine.length), series: countByBucket(mine.map((a) => a.firedAt), from, to, OVERVIEW_DAYS), hint: "firing now, by day fired" });
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
    value: `${queue.items.length}${queue.nextCursor ? "+" : ""}`,
    series: countByBucket(queue.items.map((e) => e.createdAt), from, to, OVERVIEW_DAYS),
    hint: "waiting for a reviewer or an adjudicator",
    href: `/review?workflow=${enc}`,
  });
  return { workflows: names, workflow, figures };
}
