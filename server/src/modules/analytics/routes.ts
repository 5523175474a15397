import { Hono } from "hono";
import { detectRateChanges } from "./maths/change-detection.js";
import { LABEL_GROUPS, type RollupRow } from "./maths/rollup.js";
import { agreementOf, calibrationOf, driftOf, latencyOf, ratesOf } from "./maths/series.js";
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
import { listPolicies, putPolicy } from "../policies/store.js";
import { readRollups, readRollupsByDay, seriesInWindow } from "./rollups-store.js";
import { getThresholdChange, listCalibrationMaps, listThresholdChanges, markReverted } from "../policies/thresholds-store.js";

const HOUR = 3_600_000;
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
      ? readRollups(deps.store.client, { projectId, workflow: q.workflow, version: q.version, step: q.step ?? "", from: w.from, to: w.to, light: true, countsOnly })
      : readRollupsByDay(deps.store.client, { projectId, workflow: q.workflow, version: q.version, step: q.step ?? "", from: w.from, to: w.to });
  const seriesView = (q: { workflow: string; version?: string | undefined; step?: string | undefined }) => ({
    workflow: q.workflow,
    version: q.version ?? null,
    step: q.step ?? null,
  });

  return new Hono<AppEnv>()
    .get("/analytics/series", reader, validate("query", listSeriesQuery(now)), async (c) => {
      const { window } = c.req.valid("query");
      const items = await seriesInWindow(deps.store.client, window.from, window.to, c.get("principal").projectId);
      return c.json({ window: windowView(window), items: items.map(({ workflow, version, step }) => ({ workflow, version, step: step === "" ? null : step })) });
    })
    .get("/analytics/calibration", reader, validate("query", seriesQuery(now)), async (c) => {
      const q = c.req.valid("query");
      const groups = q.sources ?? LABEL_GROUPS;
      const rows = await summedRowsFor(c.get("principal").projectId, q, q.window, q.interval);
      return c.json({
        window: windowView(q.window),
        series: seriesView(q),
        sources: groups,
        reliability: calibrationOf(rows, groups),
        // Outputs that gave no confidence cannot be placed in a bin; said apart so a diagram
        // over few scored outputs is not read as the whole picture.
        unscored: rows.reduce((n, r) => n + r.unscored, 0),
        trend: buckets(rows, q.window, q.interval).map((b) => {
          const r = calibrationOf(b.rows, groups);
          return { from: iso(b.from), to: iso(b.to), count: r.count, accuracy: r.accuracy, ece: r.ece, mce: r.mce, brier: r.brier };
        }),
      });
    })
    .get("/analytics/escalations", reader, validate("query", seriesQuery(now)), async (c) => {
      const q = c.req.valid("query");
      const interval = q.interval === "none" ? "day" : q.interval;
      const rows = await summedRowsFor(c.get("principal").projectId, q, q.window, interval, true);
      const trend = buckets(rows, q.window, interval).map((b) => ({ from: b.from, to: b.to, ...ratesOf(b.rows) }));
      const changes = (field: "escalated" | "flagged" | "spotChecks" | "auto") => detectRateChanges(trend.map((t) => ({ count: t[field], total: t.steps })));
      const [esc, flag, spot, auto] = [changes("escalated"), changes("flagged"), changes("spotChecks"), changes("auto")];
      return c.json({
        window: windowView(q.window),
        series: seriesView(q),
        totals: ratesOf(rows),
        trend: trend.map((t, i) => ({
          ...t,
          from: iso(t.from),
          to: iso(t.to),
          changes: { escalation: esc[i], flag: flag[i], spotCheck: spot[i], auto: auto[i] },
        })),
      });
    })
    .get("/analytics/drift", reader, validate("query", driftQuery(now)), async (c) => {
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
          tests: r.tests.map(({ series, psi, statistic, pvalue, currentN, level }) => ({ series, psi, statistic, pvalue, currentN, level })),
        };
      });
      return c.json({
        series: seriesView(q),
        baseline: windowView(q.baseline),
        current: windowView(q.window),
        cutoffs: { psiWatch, psiAlert, pAlert },
        ...driftOf(baseline, current, { psiWatch, psiAlert, pAlert }),
        trend,
      });
    })
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
        items: page.items.map((m) => ({ metric: m.metric, workflow: m.workflow, version: m.version, step: m.step === "" ? null : m.step, at: iso(m.at), value: m.value, details: m.details })),
      });
    })
    .get("/alerts", reader, validate("query", alertsQuery(now)), async (c) => {
      const q = c.req.valid("query");
      const items = await listAlerts(deps.store.db, c.get("principal").projectId, { status: q.status, from: q.window.from, to: q.window.to, limit: q.limit });
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
      if (change.status !== "applied") throw new AppError(409, "already_reverted", "this change was already reverted", { revertedAt: change.revertedAt, revertedBy: change.revertedBy });
      const [policy] = await listPolicies(deps.store.db, p.projectId, { workflow: change.workflow }).then((rows) => rows.filter((r) => r.step === change.step));
      // Someone changed the threshold since: reverting would silently undo their change.
      if (!policy || policy.minConfidence !== change.after) {
        throw new AppError(409, "policy_changed", "the step's minConfidence changed since this tightening; edit the policy instead", {
          current: policy?.minConfidence ?? null,
          tightenedTo: change.after,
        });
      }
      const reason = c.req.valid("json").reason;
      const put = await putPolicy(deps.store.client, {
        projectId: p.projectId,
        workflow: change.workflow,
        step: change.step,
        patch: { minConfidence: change.before },
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
