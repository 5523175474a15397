import type { Decision, ErrorInfo, GateKind, GateResult, Source } from "@seamtrace/sdk";
import { z } from "zod";
import type { Limits } from "../../app/config.js";
import { checkJsonLimits } from "../../platform/http/json-limits.js";

/**
 * Wire contracts of the review API and of late feedback labels: what the routes accept
 * (zod, applied at the edge by `middleware/validate.ts`) and the JSON they answer with (types,
 * for the UI, the resume worker and typed clients).
 */

/** How long a claim keeps other reviewers off an escalation; a reviewer may extend their own. */
export const CLAIM_TTL_MS = 15 * 60_000;
export const DEFAULT_QUEUE_LIMIT = 50;
export const MAX_QUEUE_LIMIT = 200;
export const MAX_REASON_LENGTH = 2_000;
/** Labels in one `POST /v1/labels`. */
export const MAX_LABELS = 1_000;
/** Earlier steps an escalation packet carries as "the run so far". */
export const RUN_SO_FAR_STEPS = 200;
/** Characters of earlier outputs a packet carries; past it, older steps are listed without output. */
export const RUN_SO_FAR_OUTPUT_CHARS = 1_000_000;

export const ESCALATION_KINDS = ["escalate", "flag", "spot_check"] as const;
export type EscalationKind = (typeof ESCALATION_KINDS)[number];
export const ESCALATION_STATUSES = ["open", "in_review", "disputed", "resolved", "expired"] as const;
export type EscalationStatus = (typeof ESCALATION_STATUSES)[number];
/** Still waiting on people: what a queue shows by default in the dashboard. */
export const ACTIVE_STATUSES = ["open", "in_review", "disputed"] as const satisfies readonly EscalationStatus[];
export const RESOLUTIONS = ["single", "consensus", "adjudicated", "judge", "expired"] as const;
export type Resolution = (typeof RESOLUTIONS)[number];
export const QUEUE_ORDERS = ["oldest", "riskiest"] as const;
export type QueueOrder = (typeof QUEUE_ORDERS)[number];

// Ids, workflow, step and version names are chosen by clients; the bound keeps a hostile query
// string from reaching SQL as a megabyte parameter.
const name = z.string().min(1).max(256);

// ---- The queue cursor.

/**
 * Keyset position in the queue: the last item's sort key. `risk` is the cumulative confidence
 * with "unknown" (null) mapped above every real value, so unknown risks sort last.
 */
export interface QueueCursor {
  order: QueueOrder;
  risk: number;
  createdAt: number;
  id: string;
}

/** Opaque to clients; it names its order, so a cursor cannot be replayed against the other one. */
export function encodeQueueCursor(c: QueueCursor): string {
  return Buffer.from(JSON.stringify([c.order, c.risk, c.createdAt, c.id])).toString("base64url");
}

export function decodeQueueCursor(raw: string): QueueCursor | null {
  if (!/^[A-Za-z0-9_-]+$/.test(raw)) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
    if (!Array.isArray(value) || value.length !== 4) return null;
    const [order, risk, createdAt, id] = value as unknown[];
    if (order !== "oldest" && order !== "riskiest") return null;
    if (typeof risk !== "number" || !Number.isFinite(risk) || !Number.isSafeInteger(createdAt)) return null;
    if (typeof id !== "string" || id.length === 0 || id.length > 256) return null;
    return { order, risk, createdAt: createdAt as number, id };
  } catch {
    return null;
  }
}

const limit = z
  .string()
  .regex(/^\d{1,6}$/, "expected a whole number")
  .transform(Number)
  .pipe(z.number().int().min(1).max(MAX_QUEUE_LIMIT))
  .default(DEFAULT_QUEUE_LIMIT);

/**
 * The queue's filters (`GET /v1/escalations` and its count). Without `status`, the open queue; `active` is everything still
 * waiting on people (open, in review, disputed); `all` lists every status. `group` and
 * `assignee` (a user id, or `me`) narrow it; `mine=true` is "my queue": what is routed to the
 * caller and still needs the caller's decision.
 */
const queueFilters = {
  status: z.enum([...ESCALATION_STATUSES, "active", "all"]).default("open"),
  group: z.string().min(1).max(64).optional(),
  assignee: name.optional(),
  mine: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .optional(),
  kind: z.enum(ESCALATION_KINDS).optional(),
  blocking: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .optional(),
  workflow: name.optional(),
  version: name.optional(),
  step: name.optional(),
};

export const queueQuery = z
  .object({
    ...queueFilters,
    order: z.enum(QUEUE_ORDERS).default("oldest"),
    limit,
    cursor: z.string().max(1024).optional(),
  })
  .transform((q, ctx) => {
    if (q.cursor === undefined) return { ...q, cursor: undefined };
    const cursor = decodeQueueCursor(q.cursor);
    if (!cursor || cursor.order !== q.order) {
      ctx.addIssue({ code: "custom", path: ["cursor"], message: "not a cursor returned by this API for this order" });
      return z.NEVER;
    }
    return { ...q, cursor };
  });
export type QueueQuery = z.output<typeof queueQuery>;

/** `GET /v1/escalations/count`: the filters of the queue, without paging. */
export const queueCountQuery = z.object(queueFilters);
export type QueueCountQuery = z.output<typeof queueCountQuery>;

export const escalationIdParam = z.object({ id: name });

/**
 * `POST /v1/escalations/:id/decision`. `output` is the corrected output (`correct` only; JSON
 * `null` is a value); `alternative` is the index of the alternative it was pre-filled from.
 */
export function decisionBody(limits: Pick<Limits, "maxStringLength" | "maxDepth">) {
  return z
    .object({
      decision: z.enum(["accept", "correct", "reject"]),
      output: z.unknown().optional(),
      reason: z.string().trim().min(1, "a reason is required").max(MAX_REASON_LENGTH),
      alternative: z.int().min(0).max(10_000).optional(),
    })
    .strict()
    .superRefine((b, ctx) => {
      if (b.decision === "correct" && b.output === undefined) {
        ctx.addIssue({ code: "custom", path: ["output"], message: "a correction needs the corrected output" });
      }
      if (b.decision !== "correct" && b.output !== undefined) {
        ctx.addIssue({ code: "custom", path: ["output"], message: "only a correction carries an output" });
      }
      if (b.decision !== "correct" && b.alternative !== undefined) {
        ctx.addIssue({ code: "custom", path: ["alternative"], message: "only a correction is pre-filled from an alternative" });
      }
      const violation = b.output === undefined ? null : checkJsonLimits(b.output, limits);
      if (violation) ctx.addIssue({ code: "custom", path: ["output"], message: violation.message });
    });
}
export type DecisionBody = z.output<ReturnType<typeof decisionBody>>;

/** What a judge answers: its decision and its confidence in it, which decides whether people see the item. */
const judgementShape = () => ({
  decision: z.enum(["accept", "correct", "reject"]),
  output: z.unknown().optional(),
  confidence: z.number().min(0).max(1),
  reason: z.string().trim().min(1, "a reason is required").max(MAX_REASON_LENGTH),
});

function checkJudgement(limits: Pick<Limits, "maxStringLength" | "maxDepth">) {
  return (b: { decision: string; output?: unknown }, ctx: z.RefinementCtx) => {
    if (b.decision === "correct" && b.output === undefined)
      ctx.addIssue({ code: "custom", path: ["output"], message: "a correction needs the corrected output" });
    if (b.decision !== "correct" && b.output !== undefined) ctx.addIssue({ code: "custom", path: ["output"], message: "only a correction carries an output" });
    const violation = b.output === undefined ? null : checkJsonLimits(b.output, limits);
    if (violation) ctx.addIssue({ code: "custom", path: ["output"], message: violation.message });
  };
}

/** An HTTP judge's answer to the item the server POSTed to it. */
export const judgeAnswer = (limits: Pick<Limits, "maxStringLength" | "maxDepth">) => z.object(judgementShape()).superRefine(checkJudgement(limits));

/** `POST /v1/escalations/:id/judgement` (a worker judge, with the project's API key). */
export function judgementBody(limits: Pick<Limits, "maxStringLength" | "maxDepth">) {
  return z
    .strictObject({ ...judgementShape(), judge: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "a judge name: letters, digits, '.', '_' or '-'") })
    .superRefine(checkJudgement(limits));
}
export type JudgementBody = z.output<ReturnType<typeof judgementBody>>;

// ---- Late feedback labels.

/** The envelope; each item is then validated on its own, so one bad label never sinks the batch. */
export const labelsEnvelope = z.object({ labels: z.array(z.unknown()) });

export const feedbackLabel = z
  .object({
    runId: name,
    stepId: name,
    correct: z.boolean().optional(),
    value: z.unknown().optional(),
    reason: z.string().max(MAX_REASON_LENGTH).optional(),
  })
  .refine((l) => l.correct !== undefined || l.value !== undefined, { message: "a label needs `correct`, `value`, or both" });
export type FeedbackLabel = z.output<typeof feedbackLabel>;

// ---- Responses. Times are ISO 8601 strings; JSON payload columns are parsed back to values.

/** A parent of the escalated step, as it was when the escalation was made. */
export type LineageParent =
  | {
      stepId: string;
      found: true;
      step: string;
      output: unknown;
      confidence: number | null;
      cumulative: number | null;
      source: Source;
      stale: boolean;
      flagged: boolean;
    }
  /** A parent id the collector has no step for (never reported, or reported later). */
  | { stepId: string; found: false };

/** An earlier step of the run. `outputOmitted` when the packet's output budget ran out. */
export interface RunSoFarStep {
  stepId: string;
  step: string;
  status: "completed" | "failed";
  parents: string[];
  output: unknown;
  outputOmitted?: true;
  confidence: number | null;
  cumulative: number | null;
  source: Source;
  stale: boolean;
  flagged: boolean;
  escalationId: string | null;
  startedAt: string;
  endedAt: string;
}

/**
 * Everything a reviewer needs, fixed when the escalation is made. Model
 * inputs and outputs are untrusted text: render them as text.
 */
export interface EscalationPacket {
  input: unknown;
  output: unknown;
  confidence: number | null;
  cumulative: number | null;
  reasoning: string | null;
  alternatives: unknown[] | null;
  /** The final error, when the step failed. */
  error: ErrorInfo | null;
  lineage: {
    parents: LineageParent[];
    source: Source;
    observedAt: string | null;
    maxAgeMs: number | null;
    stale: boolean;
    /** An upstream step was flagged: this output rests on an unreviewed value. */
    flagged: boolean;
  };
  /** The gate evaluation (thresholds, contract issues); null for a spot check without one. */
  gate: GateResult | null;
  gateKinds: GateKind[];
  /** The run: its input is null until its `run.started` event was seen. */
  run: { id: string; key: string | null; input: unknown };
  /** The run's earlier steps (ended no later than this one), in execution order. */
  runSoFar: { steps: RunSoFarStep[]; truncated: boolean };
  /** Added by the decision when the correction was pre-filled from an alternative. */
  review?: { alternative: number };
}

/** An item of the queue. */
export interface EscalationSummary {
  id: string;
  runId: string;
  stepId: string;
  workflow: string;
  version: string;
  step: string;
  kind: EscalationKind;
  gateKinds: GateKind[];
  blocking: boolean;
  /** Spot checks: the rate they were sampled at (weight labels by its inverse); null otherwise. */
  samplingRate: number | null;
  confidence: number | null;
  cumulative: number | null;
  status: EscalationStatus;
  /** The last claim, live or expired; `claimLive` says whether it still holds others off. */
  claimedBy: string | null;
  claimExpiresAt: string | null;
  claimLive: boolean;
  createdAt: string;
  decision: Decision | null;
  reviewerId: string | null;
  resolvedAt: string | null;
  /** The group whose members see it; null: every reviewer. */
  reviewGroup: string | null;
  /** Distinct reviewers who must decide, and how many have. */
  reviewersRequired: number;
  decisions: number;
  consensus: "unanimous" | "majority";
  /** The deadline, and what happens at it; null when the policy sets none. */
  dueAt: string | null;
  onExpiry: "reject" | "accept-flagged" | "reassign" | null;
  /** How it was settled; null while waiting. */
  resolution: Resolution | null;
}

/** `GET /v1/escalations`. `nextCursor` is null on the last page. */
export interface QueueResponse {
  items: EscalationSummary[];
  nextCursor: string | null;
}

/**
 * `GET /v1/escalations/count`: how many items the queue with these filters holds, whatever the
 * page size, and how many of them were raised on each UTC day (days with none left out).
 */
export interface QueueCountResponse {
  total: number;
  byDay: Array<{ day: string; count: number }>;
}

/** `GET /v1/escalations/:id`. */
export interface EscalationDetail extends EscalationSummary {
  packet: EscalationPacket;
  /** The reviewer's output (`correct`); null otherwise. */
  correctedOutput: unknown;
  reason: string | null;
  /** Index of the alternative a correction was pre-filled from. */
  alternative: number | null;
  resumedAt: string | null;
  resumedBy: string | null;
  /** The step's output contract, when the SDK reported one for this workflow version and step. */
  contract: { jsonSchema: Record<string, unknown>; vendor: string | null } | null;
  /**
   * The individual decisions, oldest first. While an item is still collecting decisions a
   * reviewer sees only their own (decisions are independent); everyone sees all of them once it
   * is disputed or settled, which is what the adjudication screen shows side by side.
   */
  reviews: ReviewView[];
  /** The caller's own decision on it, if any. */
  myReview: ReviewView | null;
  /** Whether the caller may still decide it (routed to them, undecided by them, not settled). */
  canDecide: boolean;
  /** Whether the caller may adjudicate it (disputed, and the caller is an admin or lead). */
  canAdjudicate: boolean;
}

/** One individual decision on an escalation. */
export interface ReviewView {
  id: string;
  escalationId: string;
  role: "reviewer" | "adjudicator" | "judge";
  /** `user:<id>` or `judge:<name>`. */
  actor: string;
  decision: Decision;
  correctedOutput: unknown;
  reason: string | null;
  alternative: number | null;
  /** A judge's confidence in its decision. */
  confidence: number | null;
  /** An adjudication: the ids of the decisions it overrode. */
  overrode: string[] | null;
  createdAt: string;
}

/** `POST /v1/escalations/:id/claim`. */
export interface ClaimResponse {
  id: string;
  claimedBy: string;
  claimExpiresAt: string;
}

export type LabelSource = "review" | "spot_check" | "golden" | "feedback";

export interface LabelView {
  id: string;
  runId: string;
  stepId: string;
  workflow: string;
  version: string;
  step: string;
  source: LabelSource;
  correct: boolean | null;
  value: unknown;
  confidence: number | null;
  samplingRate: number | null;
  escalationId: string | null;
  actor: string;
  reason: string | null;
  createdAt: string;
}

/**
 * `POST /v1/escalations/:id/decision` and `…/adjudication`. `label` is set when this decision
 * settled the escalation (the settled decision is the label); null while more decisions are
 * needed, when it went to adjudication, or for an item whose decisions train nothing.
 */
export interface DecisionResponse {
  escalation: EscalationSummary;
  review: ReviewView;
  label: LabelView | null;
}

export interface LabelItemResult {
  /** The new label's id; null when rejected. */
  id: string | null;
  status: "accepted" | "rejected";
  code?: string;
  message?: string;
}

/** `POST /v1/labels`: one result per item, in request order; 207 when some were rejected. */
export interface LabelsResponse {
  results: LabelItemResult[];
}
