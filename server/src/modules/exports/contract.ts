import { EXPORT_FORMATS, type CorrectionRow, type ExportFormat } from "@seamtrace/golden";
import { z } from "zod";
import { instant, name } from "../runs/contract.js";

/**
 * Wire contract of the corrections export: `GET /v1/exports/corrections`
 * and `seamtrace export corrections`. The rows themselves are golden/src/export-formats.ts's
 * `CorrectionRow`, one per decision, in decision-time order.
 */

export { EXPORT_FORMATS };
export type { ExportFormat };

/**
 * What an export holds: escalations settled by people, by decision; labels not made by a
 * decision; and `reviews`, every individual decision (each reviewer's, each judge's, each
 * adjudication) with its own reviewer and time.
 */
export const EXPORT_INCLUDES = ["corrections", "rejections", "accepts", "labels", "reviews"] as const;
export type ExportInclude = (typeof EXPORT_INCLUDES)[number];
export const DEFAULT_EXPORT_INCLUDE: readonly ExportInclude[] = ["corrections"];

/** `corrections,accepts` → a de-duplicated list; anything else is a 400 naming the choices. */
export const includeList = z
  .string()
  .max(128)
  .transform((s, ctx) => {
    const list = [
      ...new Set(
        s
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean),
      ),
    ];
    const bad = list.filter((x) => !(EXPORT_INCLUDES as readonly string[]).includes(x));
    if (bad.length > 0 || list.length === 0) {
      ctx.addIssue({ code: "custom", message: `expected a comma-separated list of ${EXPORT_INCLUDES.join(", ")}` });
      return z.NEVER;
    }
    return list as ExportInclude[];
  });

/**
 * `GET /v1/exports/corrections` query. `from` (inclusive) and `to` (exclusive) bound the decision
 * time; unlike the list views an export is not cut to a default window: "everything reviewed so
 * far" is its main use, and it is read a page at a time along the decision-time index.
 */
export const correctionsExportQuery = z
  .object({
    format: z.enum(EXPORT_FORMATS).default("jsonl"),
    workflow: name.optional(),
    step: name.optional(),
    version: name.optional(),
    from: instant.optional(),
    to: instant.optional(),
    include: includeList.optional(),
  })
  .transform((q, ctx) => {
    if (q.from !== undefined && q.to !== undefined && q.from >= q.to) {
      ctx.addIssue({ code: "custom", path: ["from"], message: "`from` must be before `to`" });
    }
    return { ...q, include: q.include ?? [...DEFAULT_EXPORT_INCLUDE] };
  });
export type CorrectionsExportQuery = z.output<typeof correctionsExportQuery>;

/** The filters an export ran with, as the store pages them (times in ms). */
export interface CorrectionsFilter {
  workflow?: string | undefined;
  step?: string | undefined;
  version?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
  include: readonly ExportInclude[];
}

/** One exported row (JSONL and CSV carry it whole; chat rows are derived from it). */
export type CorrectionsExportRow = CorrectionRow;

/** `Content-Type` per format: chat rows are JSON lines too. */
export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  jsonl: "application/x-ndjson",
  chat: "application/x-ndjson",
  csv: "text/csv; charset=utf-8",
};

/** `seamtrace-corrections-20261124T024400Z.jsonl`: sortable, and safe in every file system. */
export function exportFileName(format: ExportFormat, now: number): string {
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}Z$/, "Z");
  return `seamtrace-corrections-${stamp}.${format === "csv" ? "csv" : "jsonl"}`;
}
