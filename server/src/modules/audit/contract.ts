import { z } from "zod";
import { instant, MAX_LIMIT, resolveWindow } from "../runs/contract.js";
import type { VerifyReport } from "./report.js";

/** Wire contracts of the audit API. */

const id = z.string().min(1).max(256);
// Actions and actors are written by the server: a fixed alphabet, so a filter is never a
// free-form string reaching SQL.
const action = z
  .string()
  .regex(/^[a-z_]+(\.[a-z_]+)*$/, "expected an action such as step.completed")
  .max(64);
const actor = z.string().regex(/^(sdk|user|system):[A-Za-z0-9_.:-]{1,128}$/, "expected sdk:<key id>, user:<id> or system:<job>");

const pageLimit = z
  .string()
  .regex(/^\d{1,6}$/, "expected a whole number")
  .transform(Number)
  .pipe(z.number().int().min(1).max(MAX_LIMIT))
  .default(100);

/** `<time>.<seq>`: the position of the last item of the previous page. */
const timeSeqCursor = z
  .string()
  .regex(/^\d{1,16}\.[1-9]\d{0,15}$/, "not a cursor returned by this API")
  .transform((s) => {
    const [time, seq] = s.split(".").map(Number) as [number, number];
    return { time, seq };
  });

export const encodeAuditCursor = (c: { time: number; seq: number }) => `${c.time}.${c.seq}`;

const filters = {
  runId: id.optional(),
  actor: actor.optional(),
  action: action.optional(),
  from: instant.optional(),
  to: instant.optional(),
};

/** `GET /v1/audit`: newest first, a page at a time, within a time window (default 30 days). */
export function auditListQuery(now: () => number) {
  return z
    .object({ ...filters, limit: pageLimit, cursor: timeSeqCursor.optional() })
    .transform(({ from, to, ...rest }, ctx) => ({ ...rest, window: resolveWindow(now, { from, to }, ctx) }));
}

export const EXPORT_FORMATS = ["jsonl", "csv"] as const;

/** `GET /v1/audit/export`: every matching entry, oldest first, streamed. */
export function auditExportQuery(now: () => number) {
  return z
    .object({ ...filters, format: z.enum(EXPORT_FORMATS).default("jsonl") })
    .transform(({ from, to, ...rest }, ctx) => ({ ...rest, window: resolveWindow(now, { from, to }, ctx) }));
}

export interface AuditEntryView {
  seq: number;
  time: string;
  actor: string;
  action: string;
  subject: string;
  runId: string | null;
  payloadHash: string;
  hash: string;
}

export interface AuditListResponse {
  items: AuditEntryView[];
  nextCursor: string | null;
  window: { from: string; to: string };
}

/** One export row: the entry, and its payload while retention keeps it (null once purged). */
export interface AuditExportRow extends AuditEntryView {
  payload: unknown;
  /**
   * Whether the payload's text still hashes to the entry's payloadHash: false for a payload
   * edited since, or reduced by retention (`seamtrace audit verify` tells which); null without one.
   */
  payloadIntact: boolean | null;
}

export const VERIFICATION_STATUSES = ["running", "passed", "unanchored", "broken", "failed", "abandoned"] as const;
export type VerificationStatus = (typeof VERIFICATION_STATUSES)[number];

/**
 * A verification of the chain (`POST /v1/audit/verifications`): `running` while it walks the
 * chain; `passed`, `unanchored` (intact, but a tail older than the configured grace has no
 * signed checkpoint or anchor: `report.unanchored` says which) or `broken` with the report when
 * it has finished; `failed` when an error
 * stopped it (`error` says which); `abandoned` when the process running it went away.
 */
export interface AuditVerificationView {
  id: string;
  status: VerificationStatus;
  requestedBy: string;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
  /** The last sequence number it covers (the head when it began). */
  upTo: number;
  /** Entries recomputed so far: `checked / upTo` is its progress. */
  checked: number;
  report: VerifyReport | null;
  error: string | null;
}

export interface AuditVerificationList {
  items: AuditVerificationView[];
}

/** `GET /v1/audit/verifications`: the newest first. */
export const verificationListQuery = z.object({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, "expected a whole number")
    .transform(Number)
    .pipe(z.number().int().min(1).max(100))
    .default(20),
});

export const verificationId = z.object({ id: z.string().min(1).max(64) });

/**
 * `Prefer: wait=<seconds>` (RFC 7240): how long the client will wait for the answer. Up to this
 * long (capped) the request waits for the verification to finish and answers 200 with it; past
 * it, 202 while it runs.
 */
export const MAX_VERIFY_WAIT_SECONDS = 30;
export function preferredWaitMs(prefer: string | undefined): number {
  const m = /(?:^|[,;\s])wait\s*=\s*(\d{1,6})(?:$|[,;\s])/i.exec(prefer ?? "");
  return m ? Math.min(Number(m[1]), MAX_VERIFY_WAIT_SECONDS) * 1000 : 0;
}
