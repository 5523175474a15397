import { Hono } from "hono";
import { detectRateChanges } from "./maths/change-detection.js";
import { LABEL_GROUPS, type RollupRow } from "./maths/rollup.js";
import { agreementOf, bySeries, calibrationOf, latencyOf, missingLabels, ratesOf } from "./maths/series.js";
import { adaptiveCalibrationError } from "./maths/adaptive-calibration.js";
import { DISTANCE_CUTOFFS, driftOf } from "./maths/drift.js";
import {
  agreementQuery,
  alertRuleBody,
  alertsQuery,
  driftQuery,
  idParam,
  listSeriesQuery,
  metricsQuery,
  revertBody,
  seriesQuery,
  thresholdChangesQuery,
  type HourWindow,
} from "./contract.js";
import type { AppDeps, AppEnv } from "../../app/deps.js";
import { AppError, notFound } from "../../platform/http/errors.js";
import { requireAuth } from "../auth/require-auth.js";
import { jsonLimits, validate } from "../../platform/http/validate.js";
import { createAlertRule, disableAlertRule, listAlertRules, listAlerts } from "./alerts-store.js";
import { listMetrics } from "./metric-values-store.js";
import { runEscalationCounts } from "../runs/run-rates-store.js";
import { listPolicies, putPolicy } from "../policies/store.js";
import { labelledItems, readRollups, readRollupsByDay, seriesInWindow } from "./rollups-store.js";
import { fieldOf, getThresholdChange, listCalibrationMaps, listThresholdChanges, markReverted } from "../policies/thresholds-store.js";

const HOUR = 3_600_000;
/** Equal-mass bins of the adaptive calibration error. */
export const ADAPTIVE_BINS = 10;
const iso = (ms: number) => new Date(ms).toISOString();
const windowView = (w: HourWindow) => ({ from: iso(w.from), to: iso(w.to) });

/** Rows split into consecutive hour or day buckets over the window (empty buckets included). */
function buckets(rows: readonly RollupRow[], w: HourWindow, interval: "hour" | "day" | "none"): Array<{ from: number; to: number; rows: RollupRow[] }> {
  if (interval === "none") return [];
  const width = interval === "hour" ? HOUR : 24 * HOUR;
  const start = Math.floor(w.from / width) * width;
  const out: Array<{ from: number; to: number; rows: RollupRow[] }> = [];
  for (let t = start; t < w.to; t += width) out.push({ from: Math.max(t, w.from), to: Math.min(t + width, w.to), rows: [] });
  for (const r of rows) out[Math.floor((r.key.hour - start) / width)]?.rows.push(r);
  return out;
}

/**
 * The analytics query API: read
 * from the hourly rollups over a bounded window, so an answer costs series × hours rows
 * whatever the size of the store. Analysts, admins and API keys read; admins change rules and
 * revert thresholds. Everything is scoped to the caller's project.
 */
export function analyticsRoutes(deps: AppDeps) {
  const reader = requireAuth(deps, { apiKey: true, roles: ["admin", "analyst"] });
  const admin = requireAuth(deps, { roles: ["admin"] });
  const now = () => deps.now();
  const small = jsonLimits(deps, { maxBytes: 16 * 1024 });
  type SeriesParams = { workflow: string; version?: string | undefined; step?: string | undefined };
  const rowsFor = (projectId: string, q: SeriesParams, w: HourWindow, light = true) =>
    readRollups(deps.store.client, { projectId, workflow: q.workflow, version: q.version, step: q.step ?? "", from: w.from, to: w.to, light });
  // Answers over the window or its days read the daily rows for whole days (a row per day, not
  // 24); an hourly trend needs the hourly rows.
  const summedRowsFor = (projectId: string, q: SeriesParams, w: HourWindow, interval: "hour" | "day" | "none", countsOnly = false) =>
    interval === "hour"
      ? readRollups(deps.store.client, {
          projectId,
          workflow: q.workflow,
          version: q.version,
          step: q.step ?? "",
          from: w.from,
          to: w.to,
          light: true,
          countsOnly,
        })
      : readRollupsByDay(deps.store.client, { projectId, workflow: q.workflow, version: q.version, step: q.step ?? "", from: w.from, to: w.to });
  /**
   * Calibration per confidence source: each step series counted under the source most of its
   * outputs' confidences came from (steps rarely mix them), its labels pooled per source.
   */
  const calibrationBySource = async (projectId: string, q: SeriesParams & { window: HourWindow }, groups: readonly (typeof LABEL_GROUPS)[number][]) => {
    const all = await readRollupsByDay(deps.store.client, { projectId, workflow: q.workflow, version: q.version, from: q.window.from, to: q.window.to });
    const steps = bySeries(all.filter((r) => r.key.step !== "" && (q.step === undefined || r.key.step === q.step)));
    const bySource = new Map<string, { steps: Set<string>; outputs: number; rows: RollupRow[] }>();
    for (const group of steps.values()) {
      const counts: Record<string, number> = {};
      for (const r of group) for (const [src, n] of Object.entries(r.sources)) counts[src] = (counts[src] ?? 0) + n;
      const top = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
      if (!top) continue;
      const entry = bySource.get(top[0]) ?? { steps: new Set<string>(), outputs: 0, rows: [] };
      entry.steps.add(group[0]!.key.step);
      entry.outputs += Object.values(counts).reduce((a, b) => a + b, 0);
      entry.rows.push(...group);
      bySource.set(top[0], entry);
    }
    return [...bySource]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([source, e]) => {
        const r = calibrationOf(e.rows, groups);
        return { source, steps: [...e.steps].sort(), outputs: e.outputs, count: r.count, accuracy: r.accuracy, ece: r.ece, mce: r.mce, brier: r.brier };
      });
  };
  const seriesView = (q: { workflow: string; version?: string | undefined; step?: string | undefined }) => ({
    workflow: q.workflow,
    version: q.version ?? null,
    step: q.step ?? null,
  });

  return new Hono<AppEnv>()
    .get("/analytics/series", reader, validate("query", listSeriesQuery(now)), async (c) => {
      const { window } = c.req.valid("query");
      const items = await seriesInWindow(deps.store.client, window.from, window.to, c.get("principal").projectId);
      return c.json({
        window: windowView(window),
        items: items.map(({ workflow, version, step }) => ({ workflow, version, step: step === "" ? null : step })),
      });
    })
    .get("/analytics/calibration", reader, validate("query", seriesQuery(now)), async (c) => {
      const q = c.req.valid("query");
      const projectId = c.get("principal").projectId;
      const groups = q.sources ?? LABEL_GROUPS;
      const rows = await summedRowsFor(projectId, q, q.window, q.interval);
      const items = await labelledItems(deps.store.client, {
        projectId,
        workflow: q.workflow,
        version: q.version,
        step: q.step ?? "",
        groups,
        from: q.window.from,
        to: q.window.to,
      });
      return c.json({
        window: windowView(q.window),
        series: seriesView(q),
        sources: groups,
        reliability: calibrationOf(rows, groups),
        // Outputs that gave no confidence cannot be placed in a bin; said apart so a diagram
        // over few scored outputs is not read as the whole picture.
        unscored: rows.reduce((n, r) => n + r.unscored, 0),
        // Equal-mass bins over the labels themselves, beside the fixed-width ECE.
        adaptiveEce: adaptiveCalibrationError(items, ADAPTIVE_BINS),
        missingLabels: missingLabels(rows),
        bySource: await calibrationBySource(projectId, q, groups),
        trend: buckets(rows, q.window, q.interval).map((b) => {
          const r = calibrationOf(b.rows, groups);
          return { from: iso(b.from), to: iso(b.to), count: r.count, accuracy: r.accuracy, ece: r.ece, mce: r.mce, brier: r.brier };
        }),
      });
    })
    .get("/analytics/escalations", reader, validate("query", seriesQuery(now)), async (c) => {
      const q = c.req.valid("query");
      const projectId = c.get("principal").projectId;
      const interval = q.interval === "none" ? "day" : q.interval;
      const rows = await summedRowsFor(projectId, q, q.window, interval, true);
      const slices = buckets(rows, q.window, interval);
      // Per run (the workflow as a whole only): runs started in each slice, and those stopped for review.
      const width = interval === "hour" ? HOUR : 24 * HOUR;
      const start = Math.floor(q.window.from / width) * width;
      const runCounts =
        q.step === undefined
          ? await runEscalationCounts(deps.store.client, { projectId, workflow: q.workflow, version: q.version, from: start, to: q.window.to, width })
          : [];
      const runsOf = (i: number | null) => {
        const sel = runCounts.filter((r) => i === null || r.bucket === i);
        const runs = sel.reduce((a, r) => a + r.runs, 0);
        const escalatedRuns = sel.reduce((a, r) => a + r.escalated, 0);
        return q.step === undefined
          ? { runs, escalatedRuns, escalationRateRuns: runs > 0 ? escalatedRuns / runs : null }
          : { runs: null, escalatedRuns: null, escalationRateRuns: null };
      };
      const withNames = (r: ReturnType<typeof ratesOf>, i: number | null) => ({ ...r, escalationRateSteps: r.escalationRate, ...runsOf(i) });
      const trend = slices.map((b, i) => ({ from: b.from, to: b.to, ...withNames(ratesOf(b.rows), i) }));
      const changes = (field: "escalated" | "flagged" | "spotChecks" | "auto") => detectRateChanges(trend.map((t) => ({ count: t[field], total: t.steps })));
      const [esc, flag, spot, auto] = [changes("escalated"), changes("flagged"), changes("spotChecks"), changes("auto")];
      const escRuns = q.step === undefined ? detectRateChanges(trend.map((t) => ({ count: t.escalatedRuns ?? 0, total: t.runs ?? 0 }))) : [];
      return c.json({
        window: windowView(q.window),
        series: seriesView(q),
        totals: withNames(ratesOf(rows), null),
        trend: trend.map((t, i) => ({
          ...t,
          from: iso(t.from),
          to: iso(t.to),
          changes: { escalation: esc[i], escalationRuns: escRuns[i] ?? null, flag: flag[i], spotCheck: spot[i], auto: auto[i] },
        })),
      });
    })
    .get(
      "/analytics/drift",
      reader,
      validate("query", driftQuery(now, { currentHours: deps.config.analytics.driftCurrentHours, baselineHours: deps.config.analytics.driftBaselineHours })),
      async (c) => {
        const q = c.req.valid("query");
        const projectId = c.get("principal").projectId;
        const [baseline, current] = await Promise.all([rowsFor(projectId, q, q.baseline, false), rowsFor(projectId, q, q.window, false)]);
        const cutoffs = deps.config.analytics;
        const { psiWatch, psiAlert, pAlert } = cutoffs;
        // PSI and KS over time: each slice of the current window against the whole baseline.
        const trend = buckets(current, q.window, q.interval).map((b) => {
          const r = driftOf(baseline, b.rows, { psiWatch, psiAlert, pAlert });
          return {
            from: iso(b.from),
            to: iso(b.to),
            level: r.level,
            tests: r.tests.map(({ series, psi, distance, statistic, pvalue, adjustedP, currentN, level }) => ({
              series,
              psi,
              distance,
              statistic,
              pvalue,
              adjustedP,
              currentN,
              level,
            })),
          };
        });
        return c.json({
          series: seriesView(q),
          baseline: windowView(q.baseline),
          current: windowView(q.window),
          cutoffs: { psiWatch, psiAlert, pAlert, distance: DISTANCE_CUTOFFS },
          ...driftOf(baseline, current, { psiWatch, psiAlert, pAlert }),
          trend,
        });
      },
    )
    .get("/analytics/latency", reader, validate("query", seriesQuery(now)), async (c) => {
      const q = c.req.valid("query");
      const rows = await summedRowsFor(c.get("principal").projectId, q, q.window, q.interval);
      return c.json({
        window: windowView(q.window),
        series: seriesView(q),
        unit: "ms",
        ...latencyOf(rows),
        trend: buckets(rows, q.window, q.interval).map((b) => ({ from: iso(b.from), to: iso(b.to), ...latencyOf(b.rows) })),
      });
    })
    .get("/analytics/agreement", reader, validate("query", agreementQuery(now)), async (c) => {
      const q = c.req.valid("query");
      const rows = await summedRowsFor(c.get("principal").projectId, q, q.window, "none");
      return c.json({ window: windowView(q.window), series: seriesView(q), ...agreementOf(rows, q.cutoff) });
    })
    .get("/analytics/calibration-maps", reader, async (c) => {
      return c.json({ items: await listCalibrationMaps(deps.store.db, c.get("principal").projectId) });
    })
    .get("/metrics", reader, validate("query", metricsQuery(now)), async (c) => {
      const q = c.req.valid("query");
      const page = await listMetrics(deps.store.client, {
        projectId: c.get("principal").projectId,
        metric: q.metric,
        workflow: q.workflow,
        version: q.version,
        step: q.step,
        from: q.window.from,
        to: q.window.to,
        limit: q.limit,
      });
      return c.json({
        window: windowView(q.window),
        truncated: page.truncated,
        items: page.items.map((m) => ({
          metric: m.metric,
          workflow: m.workflow,
          version: m.version,
          step: m.step === "" ? null : m.step,
          at: iso(m.at),
          value: m.value,
          details: m.details,
        })),
      });
    })
    .get("/alerts", reader, validate("query", alertsQuery(now)), async (c) => {
      const q = c.req.valid("query");
      const alerts = await listAlerts(deps.store.db, c.get("principal").projectId, { status: q.status, from: q.window.from, to: q.window.to, limit: q.limit });
      // The cut-offs a drift cause is read against, so a client can say "PSI 0.31 ≥ 0.25".
      const { psiAlert, pAlert } = deps.config.analytics;
      const items = alerts.map((a) => (a.cause ? { ...a, cause: { ...a.cause, psiAlert, pAlert } } : a));
      return c.json({ window: windowView(q.window), items });
    })
    .get("/alerts/rules", reader, async (c) => c.json({ items: await listAlertRules(deps.store.db, c.get("principal").projectId) }))
    .post("/alerts/rules", admin, validate("json", alertRuleBody, small), async (c) => {
      const b = c.req.valid("json");
      const p = c.get("principal");
      const rule = await createAlertRule(deps.store.db, { projectId: p.projectId, ...b, actor: p.actor, now: deps.now() });
      if (rule === "limit") throw new AppError(409, "too_many_rules", "a project may hold at most 200 alert rules");
      return c.json(rule, 201);
    })
    .delete("/alerts/rules/:id", admin, validate("param", idParam), async (c) => {
      const ok = await disableAlertRule(deps.store.db, c.get("principal").projectId, c.req.valid("param").id, deps.now());
      if (!ok) throw notFound("alert rule");
      return c.body(null, 204);
    })
    .get("/thresholds/changes", reader, validate("query", thresholdChangesQuery), async (c) => {
      const q = c.req.valid("query");
      return c.json({ items: await listThresholdChanges(deps.store.db, c.get("principal").projectId, q) });
    })
    .post("/thresholds/changes/:id/revert", admin, validate("param", idParam), validate("json", revertBody, small), async (c) => {
      const p = c.get("principal");
      const change = await getThresholdChange(deps.store.db, p.projectId, c.req.valid("param").id);
      if (!change) throw notFound("threshold change");
      if (change.status !== "applied")
        throw new AppError(409, "already_reverted", "this change was already reverted", { revertedAt: change.revertedAt, revertedBy: change.revertedBy });
      const [policy] = await listPolicies(deps.store.db, p.projectId, { workflow: change.workflow }).then((rows) => rows.filter((r) => r.step === change.step));
      // Someone changed the field since: reverting would silently undo their change.
      const field = fieldOf(change.kind);
      if (!policy || policy[field] !== change.after) {
        throw new AppError(409, "policy_changed", `the step's ${field} changed since this change; edit the policy instead`, {
          current: policy?.[field] ?? null,
          tightenedTo: change.after,
        });
      }
      const reason = c.req.valid("json").reason;
      const put = await putPolicy(deps.store.client, {
        projectId: p.projectId,
        workflow: change.workflow,
        step: change.step,
        patch: { [field]: change.before },
        actor: p.actor,
        reason: `revert auto-tighten ${change.id}${reason ? `: ${reason}` : ""}`,
        evidence: { reverts: change.id },
        now: deps.now(),
      });
      if (put.outcome === "invalid") throw new AppError(409, "invalid_policy", put.message, put.details);
      if (put.outcome === "limit") throw new AppError(409, "too_many_policies", "the project holds too many policies");
      await markReverted(deps.store.client, p.projectId, change.id, p.actor, deps.now());
      return c.json({ ...change, status: "reverted", policy: put.policy });
    });
}
