import type { AssigneesResponse, EscalationStatus, EscalationSummary, ReviewView } from "./types.js";

/** Pure helpers for review by several people: progress, deadlines, who was overridden. */

export const STATUS_LABEL: Record<EscalationStatus, string> = {
  open: "open",
  in_review: "in review",
  disputed: "disputed",
  resolved: "resolved",
  expired: "expired",
};

const ON_EXPIRY_LABEL = { reject: "rejected", "accept-flagged": "accepted, flagged", reassign: "reassigned" } as const;

/** "1 of 2 decided, unanimous"; empty for an item one reviewer settles alone. */
export function progressText(e: Pick<EscalationSummary, "reviewersRequired" | "decisions" | "consensus">): string {
  if (e.reviewersRequired <= 1) return "";
  return `${Math.min(e.decisions, e.reviewersRequired)} of ${e.reviewersRequired} decided, ${e.consensus}`;
}

/** Whole minutes, rounded down: "due in 1 h" for 59.6 minutes left would promise time there is not. */
function span(ms: number): string {
  if (ms < 60_000) return "under a minute";
  const min = Math.floor(ms / 60_000);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h${min % 60 ? ` ${min % 60} min` : ""}`;
  return `${Math.floor(h / 24)} d`;
}

export interface Deadline {
  text: string;
  overdue: boolean;
}

/**
 * The deadline of an item still waiting on people, in words relative to `now`, with what
 * happens at it; null when it has none or is settled (its deadline no longer applies).
 */
export function deadlineOf(e: Pick<EscalationSummary, "dueAt" | "onExpiry" | "status">, now: number): Deadline | null {
  if (!e.dueAt || e.status === "resolved" || e.status === "expired") return null;
  const left = Date.parse(e.dueAt) - now;
  const then = e.onExpiry ? `, then ${ON_EXPIRY_LABEL[e.onExpiry]}` : "";
  return left >= 0 ? { text: `due in ${span(left)}${then}`, overdue: false } : { text: `overdue by ${span(-left)}${then}`, overdue: true };
}

/** The ids of the decisions an adjudication overrode. */
export function overridden(reviews: readonly ReviewView[]): Set<string> {
  return new Set(reviews.flatMap((r) => (r.role === "adjudicator" ? (r.overrode ?? []) : [])));
}

/** How a settled item was settled, in words; null while it waits. */
export function resolutionText(e: Pick<EscalationSummary, "resolution" | "status">): string | null {
  switch (e.resolution) {
    case "single":
      return null;
    case "consensus":
      return "by consensus of its reviewers";
    case "adjudicated":
      return "by an adjudicator, after its reviewers disagreed";
    case "judge":
      return "by the step's judge";
    case "expired":
      return "by its deadline: nobody decided in time";
    default:
      return null;
  }
}

/**
 * `user:u1` → the person's name or email when `people` knows them (else `u1`),
 * `judge:amount-check` → `judge amount-check`: raters as people read them.
 */
export function raterName(actor: string, people: ReadonlyMap<string, string> = new Map()): string {
  if (actor.startsWith("user:")) {
    const id = actor.slice("user:".length);
    return people.get(id) ?? id;
  }
  if (actor.startsWith("judge:")) return `judge ${actor.slice("judge:".length)}`;
  return actor;
}

/** User id → name (or email) from the assignees list, for naming raters. */
export function peopleNames(list: AssigneesResponse | null | undefined): Map<string, string> {
  return new Map((list?.items ?? []).map((p) => [p.userId, p.name || p.email]));
}
