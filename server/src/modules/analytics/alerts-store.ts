import type { Client, InStatement, Transaction } from "@libsql/client";
import { uuidv7 } from "@seamtrace/sdk";
import { and, asc, desc, eq, gte, inArray, isNull, lt, lte, type SQL } from "drizzle-orm";
import { parseJson } from "../../platform/db/json.js";
import type { Db } from "../../platform/db/client.js";
import { alertRules, alerts, metrics } from "./schema.js";
import type { MetricValue } from "./metric-values-store.js";
import { enqueueWebhookStatement } from "../webhooks/store.js";
import { queuedWrite } from "../../platform/db/write-transaction.js";
import { describeCrossing } from "./alert-messages.js";

/** Alert rules and alerts (stored, shown, sent by webhook, resolved on recovery). */

export const ALERT_OPS = [">", ">=", "<", "<="] as const;
export type AlertOp = (typeof ALERT_OPS)[number];

/** The rule every project has: a drift test at its "alert" cut-off (drift.level 2). */
export const BUILTIN_DRIFT_RULE: AlertRuleView = {
  id: "builtin:drift",
  name: "Drift (PSI and distance past the alert cut-offs, significant after correction)",
  metric: "drift.level",
  workflow: null,
  step: null,
  op: ">=",
  threshold: 2,
  createdAt: new Date(0).toISOString(),
  createdBy: "system",
};

/** The rule every project has: auto-tighten found no threshold within bounds meeting the target. */
export const BUILTIN_UNMET_RULE: AlertRuleView = {
  id: "builtin:threshold-unmet",
  name: "No threshold within bounds meets the target accuracy",
  metric: "threshold.unmet",
  workflow: null,
  step: null,
  op: ">=",
  threshold: 1,
  createdAt: new Date(0).toISOString(),
  createdBy: "system",
};

export const BUILTIN_RULES: readonly AlertRuleView[] = [BUILTIN_DRIFT_RULE, BUILTIN_UNMET_RULE];

/**
 * Metric names that were renamed, old → new: a rule stored or sent with the old name reads the
 * new metric (the migration renamed stored rules; clients may still send the old name).
 */
export const RENAMED_METRICS: Readonly<Record<string, string>> = { "escalation.rate": "escalation.rate.steps" };
export const currentMetricName = (m: string) => RENAMED_METRICS[m] ?? m;

export interface AlertRuleView {
  id: string;
  name: string;
  metric: string;
  workflow: string | null;
  step: string | null;
  op: AlertOp;
  threshold: number;
  createdAt: string;
  createdBy: string;
}

export const MAX_RULES_PER_PROJECT = 200;

export async function createAlertRule(
  db: Db,
  input: {
    projectId: string;
    name: string;
    metric: string;
    workflow?: string | null;
    step?: string | null;
    op: AlertOp;
    threshold: number;
    actor: string;
    now: number;
  },
): Promise<AlertRuleView | "limit"> {
  const row = {
    id: uuidv7(),
    projectId: input.projectId,
    name: input.name,
    metric: currentMetricName(input.metric),
    workflow: input.workflow ?? null,
    step: input.step ?? null,
    op: input.op,
    threshold: input.threshold,
    createdAt: input.now,
    createdBy: input.actor,
    disabledAt: null,
  };
  const count = await db.$count(alertRules, and(eq(alertRules.projectId, input.projectId), isNull(alertRules.disabledAt)));
  if (count >= MAX_RULES_PER_PROJECT) return "limit";
  await queuedWrite(db.$client, () => db.insert(alertRules).values(row));
  return ruleView(row);
}

function ruleView(r: typeof alertRules.$inferSelect): AlertRuleView {
  return {
    id: r.id,
    name: r.name,
    metric: r.metric,
    workflow: r.workflow,
    step: r.step,
    op: r.op,
    threshold: r.threshold,
    createdAt: new Date(r.createdAt).toISOString(),
    createdBy: r.createdBy,
  };
}

export async function listAlertRules(db: Db, projectId: string): Promise<AlertRuleView[]> {
  const rows = await db
    .select()
    .from(alertRules)
    .where(and(eq(alertRules.projectId, projectId), isNull(alertRules.disabledAt)))
    .orderBy(asc(alertRules.createdAt))
    .limit(MAX_RULES_PER_PROJECT)
    .all();
  return [...BUILTIN_RULES, ...rows.map(ruleView)];
}

/** Disables a rule (kept for its alerts' history); its firing alerts resolve at the next evaluation. */
export async function disableAlertRule(db: Db, projectId: string, id: string, now: number): Promise<boolean> {
  const res = await queuedWrite(db.$client, () =>
    db
      .update(alertRules)
      .set({ disabledAt: now })
      .where(and(eq(alertRules.projectId, projectId), eq(alertRules.id, id), isNull(alertRules.disabledAt)))
      .returning({ id: alertRules.id }),
  );
  return res.length > 0;
}

export interface AlertView {
  id: string;
  ruleId: string;
  metric: string;
  workflow: string;
  version: string;
  step: string | null;
  status: "firing" | "resolved";
  value: number | null;
  lastValue: number | null;
  threshold: number | null;
  /** What crossed: workflow, step, feature and the figures past their cut-offs. */
  message: string | null;
  details: unknown;
  /** The rule's comparison (`value op threshold` fired it); null once its rule is gone. */
  op: AlertOp | null;
  /**
   * For drift alerts: the most drifted test of the newest drift value up to the alert's end, so
   * the alert can say which feature moved and by how much, not only "level 2".
   */
  cause: DriftCause | null;
  firedAt: string;
  resolvedAt: string | null;
}

/** One drift test (analytics/maths/series.ts DriftTest) without its histogram. */
export interface DriftCause {
  /** `confidence`, `output`, or `f:<feature>`. */
  series: string;
  test: "ks" | "chi-square";
  psi: number | null;
  pvalue: number | null;
  level: string;
}

const LEVEL_ORDER: Record<string, number> = { alert: 3, watch: 2, ok: 1, insufficient: 0 };

/** The test that drifted most in a drift.level value's details (stored by the drift job). */
export function worstDriftTest(details: unknown): DriftCause | null {
  const tests = (details as { tests?: unknown } | null)?.tests;
  if (!Array.isArray(tests)) return null;
  let best: DriftCause | null = null;
  for (const t of tests as DriftCause[]) {
    if (typeof t?.series !== "string") continue;
    const c: DriftCause = { series: t.series, test: t.test, psi: t.psi ?? null, pvalue: t.pvalue ?? null, level: String(t.level) };
    if (!best || (LEVEL_ORDER[c.level] ?? 0) - (LEVEL_ORDER[best.level] ?? 0) > 0 || (c.level === best.level && (c.psi ?? -1) > (best.psi ?? -1))) best = c;
  }
  return best;
}

function alertView(r: typeof alerts.$inferSelect, op: AlertOp | null = null, cause: DriftCause | null = null): AlertView {
  return {
    id: r.id,
    ruleId: r.ruleId,
    metric: r.metric,
    workflow: r.workflow,
    version: r.version,
    step: r.step === "" ? null : r.step,
    status: r.status,
    value: r.value,
    lastValue: r.lastValue,
    threshold: r.threshold,
    message: r.message,
    details: parseJson(r.details),
    op,
    cause,
    firedAt: new Date(r.firedAt).toISOString(),
    resolvedAt: r.resolvedAt === null ? null : new Date(r.resolvedAt).toISOString(),
  };
}

/** Alerts fired in [from, to), newest first; `firing` ones whatever their age when status is firing. */
export async function listAlerts(
  db: Db,
  projectId: string,
  q: { status: "firing" | "resolved" | "all"; from: number; to: number; limit: number },
): Promise<AlertView[]> {
  const where: Array<SQL | undefined> = [eq(alerts.projectId, projectId), q.status === "all" ? undefined : eq(alerts.status, q.status)];
  if (q.status !== "firing") where.push(gte(alerts.firedAt, q.from), lt(alerts.firedAt, q.to));
  const rows = await db
    .select()
    .from(alerts)
    .where(and(...where))
    .orderBy(desc(alerts.firedAt), desc(alerts.id))
    .limit(q.limit)
    .all();
  const ruleIds = [...new Set(rows.map((r) => r.ruleId).filter((id) => id !== BUILTIN_DRIFT_RULE.id))];
  const ops = new Map<string, AlertOp>([[BUILTIN_DRIFT_RULE.id, BUILTIN_DRIFT_RULE.op]]);
  if (ruleIds.length > 0) {
    const rules = await db
      .select({ id: alertRules.id, op: alertRules.op })
      .from(alertRules)
      .where(and(eq(alertRules.projectId, projectId), inArray(alertRules.id, ruleIds)))
      .all();
    for (const r of rules) ops.set(r.id, r.op);
  }
  // One primary-key read per drift alert (the page is bounded by `limit`).
  return Promise.all(
    rows.map(async (r) => {
      if (r.metric !== "drift.level") return alertView(r, ops.get(r.ruleId) ?? null);
      const m = await db
        .select({ details: metrics.details })
        .from(metrics)
        .where(
          and(
            eq(metrics.projectId, projectId),
            eq(metrics.metric, r.metric),
            eq(metrics.workflow, r.workflow),
            eq(metrics.version, r.version),
            eq(metrics.step, r.step),
            lte(metrics.at, r.resolvedAt ?? r.updatedAt),
          ),
        )
        .orderBy(desc(metrics.at))
        .limit(1)
        .get();
      return alertView(r, ops.get(r.ruleId) ?? null, m?.details ? worstDriftTest(parseJson(m.details)) : null);
    }),
  );
}

const crosses = (value: number, op: AlertOp, threshold: number) =>
  op === ">" ? value > threshold : op === ">=" ? value >= threshold : op === "<" ? value < threshold : value <= threshold;

const seriesKey = (rule: string, m: { metric: string; workflow: string; version: string; step: string }) =>
  JSON.stringify([rule, m.metric, m.workflow, m.version, m.step]);

/**
 * Evaluates every project's rules (and the built-in drift rule) against the newest metric
 * values, inside the caller's write transaction: fires what crosses and is not firing yet,
 * resolves what is firing and no longer crosses (or has had no value since `staleBefore`),
 * with the `alert.fired` / `alert.resolved` webhooks in the same transaction.
 */
export async function evaluateAlerts(
  tx: Transaction,
  latest: readonly MetricValue[],
  now: number,
  staleBefore: number,
): Promise<{ fired: number; resolved: number; statements: InStatement[] }> {
  const rulesRs = await tx.execute("SELECT id, project_id, name, metric, workflow, step, op, threshold FROM alert_rules WHERE disabled_at IS NULL");
  const rulesByProject = new Map<string, AlertRuleView[]>();
  for (const r of rulesRs.rows) {
    const list = rulesByProject.get(String(r.project_id)) ?? [];
    list.push({
      // A rule stored under a metric's old name (restored from an old backup) still fires.
      id: String(r.id),
      name: String(r.name),
      metric: currentMetricName(String(r.metric)),
      workflow: r.workflow === null ? null : String(r.workflow),
      step: r.step === null ? null : String(r.step),
      op: String(r.op) as AlertOp,
      threshold: Number(r.threshold),
      createdAt: "",
      createdBy: "",
    });
    rulesByProject.set(String(r.project_id), list);
  }
  const openRs = await tx.execute("SELECT id, project_id, rule_id, metric, workflow, version, step, threshold FROM alerts WHERE status = 'firing'");
  const open = new Map<string, { id: string; projectId: string; metric: string; workflow: string; version: string; step: string; threshold: number | null }>();
  for (const r of openRs.rows) {
    const a = {
      id: String(r.id),
      projectId: String(r.project_id),
      metric: String(r.metric),
      workflow: String(r.workflow),
      version: String(r.version),
      step: String(r.step),
      threshold: r.threshold === null ? null : Number(r.threshold),
    };
    open.set(`${a.projectId} ${seriesKey(String(r.rule_id), a)}`, a);
  }
  const statements: InStatement[] = [];
  const seen = new Set<string>();
  let fired = 0;
  let resolved = 0;
  const announce = (projectId: string, event: "alert.fired" | "alert.resolved", data: Record<string, unknown>) =>
    statements.push(enqueueWebhookStatement(projectId, event, data, now));

  for (const m of latest) {
    if (m.value === null || m.at < staleBefore) continue;
    const rules = [...BUILTIN_RULES, ...(rulesByProject.get(m.projectId) ?? [])];
    for (const rule of rules) {
      if (rule.metric !== m.metric || (rule.workflow !== null && rule.workflow !== m.workflow) || (rule.step !== null && rule.step !== m.step)) continue;
      const k = `${m.projectId} ${seriesKey(rule.id, m)}`;
      seen.add(k);
      const current = open.get(k);
      const series = { ruleId: rule.id, rule: rule.name, metric: m.metric, workflow: m.workflow, version: m.version, step: m.step === "" ? null : m.step };
      if (crosses(m.value, rule.op, rule.threshold)) {
        if (current) {
          statements.push({ sql: "UPDATE alerts SET last_value = ?, updated_at = ? WHERE id = ?", args: [m.value, now, current.id] });
          continue;
        }
        const id = uuidv7();
        const { message, details } = describeCrossing(m, rule);
        statements.push({
          sql: `INSERT INTO alerts (id, project_id, rule_id, metric, workflow, version, step, status, value, last_value, threshold, message, details, fired_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'firing', ?, ?, ?, ?, ?, ?, ?)`,
          args: [
            id,
            m.projectId,
            rule.id,
            m.metric,
            m.workflow,
            m.version,
            m.step,
            m.value,
            m.value,
            rule.threshold,
            message,
            JSON.stringify(details),
            now,
            now,
          ],
        });
        announce(m.projectId, "alert.fired", {
          alertId: id,
          ...series,
          op: rule.op,
          threshold: rule.threshold,
          value: m.value,
          at: new Date(m.at).toISOString(),
          message,
          ...details,
        });
        fired++;
      } else if (current) {
        statements.push({
          sql: "UPDATE alerts SET status = 'resolved', last_value = ?, resolved_at = ?, updated_at = ? WHERE id = ?",
          args: [m.value, now, now, current.id],
        });
        announce(m.projectId, "alert.resolved", { alertId: current.id, ...series, value: m.value, reason: "recovered" });
        resolved++;
      }
    }
  }
  // Firing alerts with no fresh value (the series went quiet, or the rule was disabled).
  for (const [k, a] of open) {
    if (seen.has(k)) continue;
    statements.push({ sql: "UPDATE alerts SET status = 'resolved', resolved_at = ?, updated_at = ? WHERE id = ?", args: [now, now, a.id] });
    announce(a.projectId, "alert.resolved", {
      alertId: a.id,
      metric: a.metric,
      workflow: a.workflow,
      version: a.version,
      step: a.step === "" ? null : a.step,
      reason: "no current value",
    });
    resolved++;
  }
  return { fired, resolved, statements };
}

/** Firing alerts on drift for one step (auto-tighten's trigger). */
export async function firingDrift(client: Pick<Client, "execute">, projectId: string, workflow: string, step: string): Promise<boolean> {
  const rs = await client.execute({
    sql: "SELECT 1 FROM alerts WHERE project_id = ? AND workflow = ? AND step = ? AND status = 'firing' AND metric = 'drift.level' LIMIT 1",
    args: [projectId, workflow, step],
  });
  return rs.rows.length > 0;
}
