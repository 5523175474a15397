import { z } from "zod";
import { ALERT_OPS } from "./alerts-store.js";
import { instant, name } from "../runs/contract.js";

/**
 * Wire contracts of the analytics API (`routes/analytics.ts`, `routes/alerts.ts`): query
 * strings and bodies. Windows are whole UTC hours (the rollups' grain) and bounded.
 */

const HOUR = 3_600_000;
export const DEFAULT_ANALYTICS_WINDOW_MS = 7 * 24 * HOUR;
/** The widest window one answer reads: series × hours rows, so it stays a few thousand rows. */
export const MAX_ANALYTICS_WINDOW_MS = 90 * 24 * HOUR;

export interface HourWindow {
  from: number;
  to: number;
}

/** `from` rounds down and `to` up to whole hours; default: the last 7 days up to the current hour's end. */
export function hourWindow(now: number, q: { from?: number | undefined; to?: number | undefined }, ctx: z.RefinementCtx, prefix = ""): HourWindow {
  const to = Math.ceil((q.to ?? now + 1) / HOUR) * HOUR;
  const from = Math.floor((q.from ?? to - DEFAULT_ANALYTICS_WINDOW_MS) / HOUR) * HOUR;
  if (from >= to) ctx.addIssue({ code: "custom", path: [`${prefix}from`], message: `\`${prefix}from\` must be before \`${prefix}to\`` });
  else if (to - from > MAX_ANALYTICS_WINDOW_MS) ctx.addIssue({ code: "custom", path: [`${prefix}from`], message: "the window may span at most 90 days" });
  return { from, to };
}

const seriesFields = {
  workflow: name,
  version: name.optional(),
  /** Absent: the workflow as a whole (end to end). */
  step: name.optional(),
  from: instant.optional(),
  to: instant.optional(),
};

const interval = z.enum(["hour", "day", "none"]).default("day");

export const LABEL_SOURCES = ["spot", "review", "other"] as const;
const sources = z
  .string()
  .max(64)
  .transform((s, ctx) => {
    const list = [
      ...new Set(
        s
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean),
      ),
    ];
    const bad = list.filter((x) => !(LABEL_SOURCES as readonly string[]).includes(x));
    if (bad.length > 0 || list.length === 0) {
      ctx.addIssue({ code: "custom", message: `expected a comma-separated list of ${LABEL_SOURCES.join(", ")}` });
      return z.NEVER;
    }
    return list as Array<(typeof LABEL_SOURCES)[number]>;
  })
  .optional();

export function seriesQuery(now: () => number) {
  return z
    .object({ ...seriesFields, interval, sources })
    .transform(({ from, to, ...rest }, ctx) => ({ ...rest, window: hourWindow(now(), { from, to }, ctx) }));
}

export function agreementQuery(now: () => number) {
  return z
    .object({ ...seriesFields, cutoff: z.coerce.number().min(0).max(1).default(0.5) })
    .transform(({ from, to, ...rest }, ctx) => ({ ...rest, window: hourWindow(now(), { from, to }, ctx) }));
}

/**
 * Drift: the current window, and a baseline just before it. By default both are the drift job's
 * (the last `currentHours`, against the `baselineHours` before), so the page shows what the
 * alerts saw, and a store holding only the last week still has a baseline. `interval` splits
 * the current window into a trend, each slice tested against the whole baseline.
 */
export function driftQuery(now: () => number, windows: { currentHours: number; baselineHours: number }) {
  return z
    .object({ ...seriesFields, baselineFrom: instant.optional(), baselineTo: instant.optional(), interval })
    .transform(({ from, to, baselineFrom, baselineTo, ...rest }, ctx) => {
      const end = to ?? now() + 1;
      const current = hourWindow(now(), { from: from ?? Math.ceil(end / HOUR) * HOUR - windows.currentHours * HOUR, to: end }, ctx);
      const baselineEnd = baselineTo ?? current.from;
      const baseline = hourWindow(now(), { from: baselineFrom ?? baselineEnd - windows.baselineHours * HOUR, to: baselineEnd }, ctx, "baseline");
      return { ...rest, window: current, baseline };
    });
}

export function listSeriesQuery(now: () => number) {
  return z.object({ from: instant.optional(), to: instant.optional() }).transform((q, ctx) => ({ window: hourWindow(now(), q, ctx) }));
}

export function metricsQuery(now: () => number) {
  return z
    .object({
      metric: z.string().min(1).max(200),
      workflow: name.optional(),
      version: name.optional(),
      step: z.string().max(256).optional(),
      from: instant.optional(),
      to: instant.optional(),
      limit: z.coerce.number().int().min(1).max(5000).default(1000),
    })
    .transform(({ from, to, ...rest }, ctx) => ({ ...rest, window: hourWindow(now(), { from, to }, ctx) }));
}

export const alertRuleBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  metric: z.string().min(1).max(200),
  op: z.enum(ALERT_OPS),
  threshold: z.number(),
  workflow: name.nullable().optional(),
  step: name.nullable().optional(),
});

export function alertsQuery(now: () => number) {
  return z
    .object({
      status: z.enum(["firing", "resolved", "all"]).default("firing"),
      from: instant.optional(),
      to: instant.optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    })
    .transform(({ from, to, ...rest }, ctx) => ({ ...rest, window: hourWindow(now(), { from, to }, ctx) }));
}

export const idParam = z.object({ id: z.string().min(1).max(128) });

export const thresholdChangesQuery = z.object({
  workflow: name.optional(),
  step: name.optional(),
  status: z.enum(["applied", "reverted"]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const revertBody = z.strictObject({ reason: z.string().trim().max(2000).optional() });
