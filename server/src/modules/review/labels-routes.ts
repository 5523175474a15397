import { Hono } from "hono";
import { checkJsonLimits } from "../../platform/http/json-limits.js";
import { feedbackLabel, labelsEnvelope, MAX_LABELS, type FeedbackLabel, type LabelItemResult, type LabelsResponse } from "./contract.js";
import type { AppDeps, AppEnv } from "../../app/deps.js";
import { AppError } from "../../platform/http/errors.js";
import { projected } from "../runs/projected.js";
import { requireAuth } from "../auth/require-auth.js";
import { validate } from "../../platform/http/validate.js";
import { insertFeedbackLabels } from "./labels-store.js";

/**
 * Late feedback (`POST /v1/labels`): ground truth that arrives after a run, from the
 * project's own systems, with its API key. Answered per item like the ingest: one bad label
 * never sinks the batch, and a rejected item changes nothing.
 */
export function labelsRoutes(deps: AppDeps) {
  const limits = deps.config.limits;
  return new Hono<AppEnv>().post(
    "/labels",
    requireAuth(deps, { apiKey: true }),
    // String length, depth and NUL characters are checked per label below, so one bad label is rejected alone.
    validate("json", labelsEnvelope, {
      maxBytes: limits.maxBodyBytes,
      maxStringLength: Number.MAX_SAFE_INTEGER,
      maxDepth: Number.MAX_SAFE_INTEGER,
      allowNul: true,
    }),
    // Labels name steps, which are projected from the event log: see every acknowledged one.
    projected(deps),
    async (c) => {
      const { labels } = c.req.valid("json");
      if (labels.length > MAX_LABELS) {
        throw new AppError(413, "too_many_labels", `a request holds at most ${MAX_LABELS} labels, got ${labels.length}`, { maxLabels: MAX_LABELS });
      }
      const { projectId, actor } = c.get("principal");
      const results = new Array<LabelItemResult>(labels.length);
      const valid: FeedbackLabel[] = [];
      const positions: number[] = [];
      labels.forEach((item, i) => {
        const violation = checkJsonLimits(item, limits);
        if (violation) {
          results[i] = { id: null, status: "rejected", code: violation.code, message: violation.message };
          return;
        }
        const parsed = feedbackLabel.safeParse(item);
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          results[i] = {
            id: null,
            status: "rejected",
            code: "invalid_label",
            message: `${issue.path.length ? `${issue.path.join(".")}: ` : ""}${issue.message}`,
          };
          return;
        }
        valid.push(parsed.data);
        positions.push(i);
      });

      if (valid.length > 0) {
        const outcomes = await insertFeedbackLabels(deps.store.client, { projectId, actor, items: valid, now: deps.now() });
        outcomes.forEach((o, j) => {
          results[positions[j]!] = "id" in o ? { id: o.id, status: "accepted" } : { id: null, status: "rejected", code: o.code, message: o.message };
        });
      }
      const body: LabelsResponse = { results };
      return c.json(body, results.some((r) => r.status === "rejected") ? 207 : 200);
    },
  );
}
