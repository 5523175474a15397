import type { Transaction } from "@libsql/client";
import { chunks } from "../../platform/db/sql.js";

/**
 * The team-review part of a step's policy, as an escalation fixes it when it is made: the
 * step's own policy field, else the workflow-wide one, else the default.
 */
export interface ReviewSettings {
  reviewers: number;
  consensus: "unanimous" | "majority";
  /** Milliseconds from creation; null: no deadline. */
  reviewBy: number | null;
  onExpiry: "reject" | "accept-flagged" | "reassign";
  reviewGroup: string | null;
}

export const DEFAULT_REVIEW_SETTINGS: Readonly<ReviewSettings> = Object.freeze({
  reviewers: 1,
  consensus: "unanimous",
  reviewBy: null,
  onExpiry: "reassign",
  reviewGroup: null,
});

const key = (workflow: string, step: string) => JSON.stringify([workflow, step]);

/**
 * Review settings for each (workflow, step) of one project, read inside the caller's transaction
 * (the projection's, so an escalation and the settings it was given commit together).
 */
export async function reviewSettingsFor(
  tx: Pick<Transaction, "execute">,
  projectId: string,
  steps: ReadonlyArray<{ workflow: string; step: string }>,
): Promise<(workflow: string, step: string) => ReviewSettings> {
  const workflows = [...new Set(steps.map((s) => s.workflow))];
  const rows = new Map<string, Partial<Record<keyof ReviewSettings, unknown>>>();
  for (const part of chunks(workflows, 200)) {
    const rs = await tx.execute({
      sql: `SELECT workflow, step, reviewers, consensus, review_by_ms, on_expiry, review_group FROM policies
            WHERE project_id = ? AND workflow IN (${part.map(() => "?").join(",")})
              AND (reviewers IS NOT NULL OR consensus IS NOT NULL OR review_by_ms IS NOT NULL OR on_expiry IS NOT NULL OR review_group IS NOT NULL)`,
      args: [projectId, ...part],
    });
    for (const r of rs.rows) {
      rows.set(key(String(r.workflow), String(r.step)), {
        reviewers: r.reviewers,
        consensus: r.consensus,
        reviewBy: r.review_by_ms,
        onExpiry: r.on_expiry,
        reviewGroup: r.review_group,
      });
    }
  }
  return (workflow, step) => {
    const own = rows.get(key(workflow, step)) ?? {};
    const wide = rows.get(key(workflow, "")) ?? {};
    const pick = <K extends keyof ReviewSettings>(k: K): ReviewSettings[K] => {
      const v = own[k] ?? wide[k];
      if (v === null || v === undefined) return DEFAULT_REVIEW_SETTINGS[k];
      return (typeof DEFAULT_REVIEW_SETTINGS[k] === "number" || k === "reviewBy" ? Number(v) : String(v)) as ReviewSettings[K];
    };
    return {
      reviewers: pick("reviewers"),
      consensus: pick("consensus"),
      reviewBy: pick("reviewBy"),
      onExpiry: pick("onExpiry"),
      reviewGroup: pick("reviewGroup"),
    };
  };
}
