import { z } from "zod";
import type { Role } from "../../app/deps.js";
import { instant } from "../runs/contract.js";
import { reviewGroupName } from "../policies/contract.js";

/**
 * Wire contracts of review at team scale (`/v1/review/*`): review groups, per-assignee progress,
 * agreement between raters, reviewers' accuracy on known answers, queue ageing, and judges.
 */

export const MAX_GROUP_MEMBERS = 1_000;
/** Judge names become audit actors (`judge:<name>`) and rater names in agreement tables. */
export const judgeName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "letters, digits, '.', '_' or '-', at most 64");
const name = z.string().min(1).max(256);
const DAY_MS = 86_400_000;

export const groupParam = z.object({ name: reviewGroupName });

/** `PUT /v1/review/groups/:name`: the whole member list (user ids of the project), and the known-answer rate. */
export const groupBody = z.strictObject({
  members: z.array(z.string().min(1).max(256)).max(MAX_GROUP_MEMBERS),
  knownAnswerRate: z.number().min(0).max(1).optional(),
});
export type GroupBody = z.output<typeof groupBody>;

export interface GroupMember {
  userId: string;
  email: string;
  name: string;
  role: Role;
}

export interface ReviewGroupView {
  name: string;
  knownAnswerRate: number;
  members: GroupMember[];
  createdAt: string;
  updatedAt: string;
}

/**
 * A window of decision time: `from` (inclusive) to `to` (exclusive), by default the last `days`
 * days up to and including now (a decision made this millisecond is in it).
 */
export function windowQuery(now: () => number, days: number) {
  return z.object({ from: instant.optional(), to: instant.optional() }).transform((q, ctx) => {
    const to = q.to ?? now() + 1;
    const from = q.from ?? to - days * DAY_MS;
    if (from >= to) ctx.addIssue({ code: "custom", path: ["from"], message: "`from` must be before `to`" });
    return { from, to };
  });
}

export const assigneesQuery = (now: () => number) =>
  z.object({ group: reviewGroupName.optional(), from: instant.optional(), to: instant.optional() }).transform((q, ctx) => {
    const to = q.to ?? now() + 1;
    const from = q.from ?? to - 7 * DAY_MS;
    if (from >= to) ctx.addIssue({ code: "custom", path: ["from"], message: "`from` must be before `to`" });
    return { group: q.group, from, to };
  });

/** Progress of one person: claims they hold, decisions they made in the window, and what waits for them. */
export interface AssigneeCounts {
  userId: string;
  email: string;
  name: string;
  role: Role;
  groups: string[];
  /** Items waiting on people that the user holds a live claim on. */
  claimed: number;
  /** Decisions the user made in the window (each reviewer's, adjudications included). */
  decided: number;
  /** Items routed to the user that still need their decision ("my queue"). */
  pending: number;
}

export interface AssigneesResponse {
  window: { from: string; to: string };
  items: AssigneeCounts[];
}

export const agreementQuery = (now: () => number) =>
  z.object({ workflow: name.optional(), step: name.optional(), from: instant.optional(), to: instant.optional() }).transform((q, ctx) => {
    const to = q.to ?? now() + 1;
    const from = q.from ?? to - 30 * DAY_MS;
    if (from >= to) ctx.addIssue({ code: "custom", path: ["from"], message: "`from` must be before `to`" });
    if (q.step !== undefined && q.workflow === undefined) ctx.addIssue({ code: "custom", path: ["step"], message: "`step` needs `workflow`" });
    return { workflow: q.workflow, step: q.step, from, to };
  });

/** Agreement among the raters of one step's escalations (items with at least two decisions). */
export interface StepAgreement {
  workflow: string;
  step: string;
  /** Items with two or more decisions, and the decisions on them. */
  items: number;
  ratings: number;
  raters: number;
  /** Share of agreeing pairs among all pairs of decisions on the same item. */
  percentAgreement: number | null;
  /** Fleiss' κ over the items rated by the most common number of raters (it needs a fixed count). */
  fleissKappa: number | null;
  fleissItems: number;
  /** Krippendorff's α (nominal), over every item, whatever its number of raters. */
  krippendorffAlpha: number | null;
}

/** One pair of raters, on the items both decided. */
export interface PairAgreement {
  a: string;
  b: string;
  items: number;
  percentAgreement: number | null;
  cohenKappa: number | null;
}

/** One rater (`user:<id>` or `judge:<name>`). */
export interface RaterAgreement {
  rater: string;
  /** Items they decided that others decided too. */
  items: number;
  /** Share of their decisions matching the settled decision, where one exists. */
  agreementWithSettled: number | null;
  settledItems: number;
  /** Share of agreeing pairs between them and the other raters of the same items. */
  percentAgreement: number | null;
}

export interface AgreementResponse {
  window: { from: string; to: string };
  steps: StepAgreement[];
  raters: RaterAgreement[];
  pairs: PairAgreement[];
}

/** One reviewer's record on known-answer items. */
export interface ReviewerAccuracy {
  rater: string;
  items: number;
  correct: number;
  accuracy: number | null;
  /** Wilson 95% interval for the accuracy. */
  low: number | null;
  high: number | null;
}

export interface AccuracyResponse {
  window: { from: string; to: string };
  items: ReviewerAccuracy[];
}

/** Queue ageing per review group (`group` null: escalations no group routes). */
export interface GroupAgeing {
  group: string | null;
  /** Time from creation to settlement of items settled in the window, in ms. */
  decided: number;
  p50Ms: number | null;
  p95Ms: number | null;
  /** Items still waiting on people. */
  waiting: number;
  /** Waiting items past half their deadline. */
  pastHalfDeadline: number;
  /** Waiting items past their deadline (the deadline job acts on them at its next run). */
  overdue: number;
}

export interface AgeingResponse {
  window: { from: string; to: string };
  groups: GroupAgeing[];
}

export const judgeParam = z.object({ workflow: name, step: name });

/** `PUT /v1/review/judges/:workflow/steps/:step`. */
export const judgeBody = z
  .strictObject({
    name: judgeName,
    kind: z.enum(["worker", "http"]),
    url: z
      .string()
      .max(2048)
      .url()
      .refine((u) => /^https?:\/\//i.test(u), "the URL must be http or https")
      .optional(),
    minConfidence: z.number().min(0).max(1).default(0.9),
    sampleRate: z.number().min(0).max(1).default(0.05),
    timeoutMs: z
      .int()
      .min(1_000)
      .max(7 * DAY_MS)
      .default(10 * 60_000),
  })
  .refine((b) => (b.kind === "http") === (b.url !== undefined), { path: ["url"], message: "an http judge needs a url; a worker judge takes none" });
export type JudgeBody = z.output<typeof judgeBody>;

export interface JudgeView {
  workflow: string;
  step: string;
  name: string;
  kind: "worker" | "http";
  url: string | null;
  minConfidence: number;
  sampleRate: number;
  timeoutMs: number;
  updatedAt: string;
  updatedBy: string;
}

export const judgeItemsQuery = z.object({
  judge: judgeName,
  limit: z
    .string()
    .regex(/^\d{1,3}$/)
    .transform(Number)
    .pipe(z.number().int().min(1).max(100))
    .default(20),
});

/** What a judge is given: the review packet's decision-relevant part. Untrusted text, like any packet. */
export interface JudgeItem {
  escalationId: string;
  runId: string;
  stepId: string;
  workflow: string;
  version: string;
  step: string;
  input: unknown;
  output: unknown;
  confidence: number | null;
  reasoning: string | null;
  alternatives: unknown[] | null;
  createdAt: string;
}

export interface JudgeItemsResponse {
  items: JudgeItem[];
}

/** `POST /v1/escalations/:id/judgement`: whether the judge settled it or handed it to people. */
export interface JudgementResponse {
  escalationId: string;
  reviewId: string;
  outcome: "settled" | "to_people";
  /** Handed to people although the judge was sure: the sample that measures the judge. */
  sampled: boolean;
}
