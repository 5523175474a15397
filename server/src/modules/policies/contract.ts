import type { PolicyRule, ServedPolicy } from "@seamtrace/sdk";
import { z } from "zod";

/**
 * Wire contracts of the policies API (`routes/policies.ts`): what an admin may send, the query
 * strings the reads accept, and the history answer. `GET /v1/policies` answers with the SDK's
 * own `PoliciesResponse`.
 */

/**
 * Policies a project may hold. `GET /v1/policies` returns all of them in one answer (the SDK
 * caches the whole set), so creating one more is refused rather than silently truncating it.
 */
export const MAX_POLICIES_PER_PROJECT = 10_000;
export const DEFAULT_HISTORY_LIMIT = 50;
export const MAX_HISTORY_LIMIT = 500;

export const ON_LOW = ["escalate", "flag"] as const satisfies ReadonlyArray<NonNullable<PolicyRule["onLow"]>>;
export const ON_UNMET = ["escalate", "spot-check", "alert"] as const satisfies ReadonlyArray<NonNullable<ServedPolicy["onUnmet"]>>;
export const CONSENSUS_RULES = ["unanimous", "majority"] as const satisfies ReadonlyArray<NonNullable<ServedPolicy["consensus"]>>;
export const ON_EXPIRY = ["reject", "accept-flagged", "reassign"] as const satisfies ReadonlyArray<NonNullable<ServedPolicy["onExpiry"]>>;
/** More reviewers per item than any team asks for; bounds the work one escalation can demand. */
export const MAX_REVIEWERS = 25;
/** Review deadlines: at least a minute (the deadline job's resolution), at most a year. */
export const MIN_REVIEW_BY_MS = 60_000;
export const MAX_REVIEW_BY_MS = 366 * 24 * 3_600_000;

/** The columns an admin sets; everything else on a policy row (revision, times, actor) is the server's. */
export const POLICY_FIELDS = [
  "minConfidence",
  "minCumulative",
  "onLow",
  "requireConfidence",
  "spotCheckRate",
  "spotCheckNearRate",
  "targetAccuracy",
  "tightenMin",
  "tightenMax",
  "delta",
  "onUnmet",
  "reviewers",
  "consensus",
  "reviewBy",
  "onExpiry",
  "reviewGroup",
  "confidenceFrom",
] as const satisfies ReadonlyArray<keyof ServedPolicy>;
export type PolicyField = (typeof POLICY_FIELDS)[number];

/** Every field of a policy, null where unset: the stored shape before it is served. */
export type PolicyValues = { [K in PolicyField]: NonNullable<ServedPolicy[K]> | null };
/** A change: absent leaves the field as it is, null clears it. */
export type PolicyPatch = { [K in PolicyField]?: NonNullable<ServedPolicy[K]> | null };

// Workflow and step names are chosen by clients; the bound keeps a hostile path from reaching
// SQL as a megabyte parameter (the same bound as the query API's names).
const name = z.string().min(1).max(256);
// z.number() refuses NaN and ±Infinity, so [0, 1] is the whole check.
const fraction = z.number().min(0).max(1).nullable().optional();
const reason = z.string().trim().max(2000);
/** Review group names appear in paths (`/v1/review/groups/:name`) and metric series: kept plain. */
export const reviewGroupName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "letters, digits, '.', '_' or '-', at most 64, starting with a letter or digit");

/**
 * `PUT /v1/policies/:workflow[/steps/:step]` body. Strict: an unknown key is a 400, so a client
 * can neither set server-owned columns (`revision`, `updatedBy`) nor lose a misspelt field.
 * Whether `tightenMin ≤ tightenMax` holds depends on the stored row too, so the store checks it.
 */
export const policyBody = z
  .strictObject({
    minConfidence: fraction,
    minCumulative: fraction,
    onLow: z.enum(ON_LOW).nullable().optional(),
    requireConfidence: z.boolean().nullable().optional(),
    spotCheckRate: fraction,
    spotCheckNearRate: fraction,
    targetAccuracy: fraction,
    tightenMin: fraction,
    tightenMax: fraction,
    // δ = 0 would need infinite evidence, δ ≥ 0.5 promises less than a coin toss.
    delta: z.number().gt(0).lt(0.5).nullable().optional(),
    onUnmet: z.enum(ON_UNMET).nullable().optional(),
    reviewers: z.int().min(1).max(MAX_REVIEWERS).nullable().optional(),
    consensus: z.enum(CONSENSUS_RULES).nullable().optional(),
    reviewBy: z.int().min(MIN_REVIEW_BY_MS).max(MAX_REVIEW_BY_MS).nullable().optional(),
    onExpiry: z.enum(ON_EXPIRY).nullable().optional(),
    reviewGroup: reviewGroupName.nullable().optional(),
    // For steps received over OTLP: the evaluation (gen_ai.evaluation.name) whose score is the confidence.
    confidenceFrom: z.string().min(1).max(256).nullable().optional(),
    reason: reason.optional(),
  })
  .refine((b) => POLICY_FIELDS.some((f) => b[f] !== undefined), {
    message: `set at least one of ${POLICY_FIELDS.join(", ")} (null clears a field)`,
  });
export type PolicyBody = z.output<typeof policyBody>;

/** The part of a validated body that changes the policy. */
export function patchOf(body: PolicyBody): PolicyPatch {
  const patch: Record<string, unknown> = {};
  for (const f of POLICY_FIELDS) if (body[f] !== undefined) patch[f] = body[f];
  return patch as PolicyPatch;
}

export const workflowParam = z.object({ workflow: name });
export const stepParam = z.object({ workflow: name, step: name });
export const deleteQuery = z.object({ reason: reason.optional() });
export const policiesQuery = z.object({ workflow: name.optional() });

/** Keyset position in the history, newest first: the (at, id) of the last entry returned. */
export interface HistoryCursor {
  at: number;
  id: string;
}

/** Opaque to clients; base64url keeps it URL-safe without escaping. */
export function encodeHistoryCursor(c: HistoryCursor): string {
  return Buffer.from(JSON.stringify([c.at, c.id])).toString("base64url");
}

function decodeHistoryCursor(raw: string): HistoryCursor | null {
  // Buffer's decoder skips characters outside the alphabet; reject them instead of guessing.
  if (!/^[A-Za-z0-9_-]+$/.test(raw)) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
    if (!Array.isArray(value) || value.length !== 2) return null;
    const [at, id] = value as [unknown, unknown];
    if (!Number.isSafeInteger(at) || typeof id !== "string" || id.length === 0 || id.length > 64) return null;
    return { at: at as number, id };
  } catch {
    return null;
  }
}

/**
 * `GET /v1/policies/history` query. `step` needs `workflow` (the history index leads with it);
 * `step=` (empty) selects the workflow-wide policy's entries, as `step` "" does in storage.
 */
export const historyQuery = z
  .object({
    workflow: name.optional(),
    step: z.string().max(256).optional(),
    limit: z
      .string()
      .regex(/^\d{1,6}$/, "expected a whole number")
      .transform(Number)
      .pipe(z.number().int().min(1).max(MAX_HISTORY_LIMIT))
      .default(DEFAULT_HISTORY_LIMIT),
    cursor: z
      .string()
      .max(512)
      .transform((s, ctx) => {
        const decoded = decodeHistoryCursor(s);
        if (!decoded) {
          ctx.addIssue({ code: "custom", message: "not a cursor returned by this API" });
          return z.NEVER;
        }
        return decoded;
      })
      .optional(),
  })
  .refine((q) => q.step === undefined || q.workflow !== undefined, { path: ["step"], message: "`step` needs `workflow`" });

/** One change to one policy. `before` is null when it was created, `after` when it was deleted. */
export interface PolicyHistoryEntry {
  id: string;
  workflow: string;
  /** Null for the workflow-wide policy. */
  step: string | null;
  before: ServedPolicy | null;
  after: ServedPolicy | null;
  /** `user:<id>` or `system:<job>`. */
  actor: string;
  reason: string | null;
  /** What an automatic change rested on (auto-tighten), as the job recorded it. */
  evidence: unknown;
  at: string;
}

/** `GET /v1/policies/history`: newest first; `nextCursor` is null on the last page. */
export interface PolicyHistoryResponse {
  items: PolicyHistoryEntry[];
  nextCursor: string | null;
}
