import type { InStatement } from "@libsql/client";
import { enqueueWebhookStatement, type WebhookEvent } from "../webhooks/store.js";
import type { EscalationRow } from "./escalation-row.js";

/**
 * The review webhooks' payloads. They carry ids, scores and the review's state, never the
 * packet: model outputs are the project's data, and a receiver that wants them reads them
 * through the API. Known-answer items are announced to nobody: they exist to measure reviewers.
 */

const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** What every review announcement says about its escalation. */
export function escalationRef(e: EscalationRow) {
  return {
    escalationId: e.id,
    runId: e.runId,
    stepId: e.stepId,
    workflow: e.workflow,
    version: e.version,
    step: e.step,
    kind: e.kind,
    blocking: e.blocking,
    reviewGroup: e.reviewGroup,
    reviewersRequired: e.reviewersRequired,
    dueAt: isoOrNull(e.dueAt),
  };
}

export function announce(e: EscalationRow, event: WebhookEvent, data: Record<string, unknown>, now: number): InStatement[] {
  if (e.knownAnswerOf !== null) return [];
  return [enqueueWebhookStatement(e.projectId, event, { ...escalationRef(e), ...data }, now)];
}

/** `escalation.created`, as the projection and a judge's hand-over to people send it. */
export function createdData(e: EscalationRow, gateKinds: unknown, samplingRate: number | null) {
  return { gateKinds, samplingRate, confidence: e.confidence, cumulative: e.cumulative, createdAt: new Date(e.createdAt).toISOString() };
}
