import type { Client, InValue } from "@libsql/client";
import type { Decision } from "@seamtrace/sdk";
import { agreement } from "../analytics/maths/agreement.js";
import { fleissKappa, krippendorffAlpha, percentAgreement } from "../analytics/maths/rater-agreement.js";
import { wilsonInterval } from "../analytics/maths/wilson.js";
import type { AgreementResponse, PairAgreement, RaterAgreement, ReviewerAccuracy, StepAgreement } from "./team-contract.js";
import { outcomeKey } from "./consensus.js";

/**
 * Agreement between the raters of the same escalations (reviewers and judges, each decision an
 * outcome: accept, reject, or a correction to one value), and reviewers' accuracy on
 * known-answer items. Known-answer items are left out of agreement: they repeat an item already
 * counted, and exist to measure people against a settled answer instead.
 */

/** Decisions one report reads at most (the newest past it are left out, and the report says so by its counts). */
const MAX_DECISIONS = 200_000;

interface Rating {
  escalationId: string;
  workflow: string;
  step: string;
  rater: string;
  outcome: string;
  settled: string | null;
  resolution: string | null;
  settledBy: string | null;
}

const outcome = (decision: unknown, corrected: unknown) =>
  outcomeKey({
    decision: String(decision) as Decision,
    output: corrected === null || corrected === undefined ? null : (JSON.parse(String(corrected)) as unknown),
  });

async function ratings(
  client: Client,
  projectId: string,
  f: { workflow?: string | undefined; step?: string | undefined; from: number; to: number },
): Promise<Rating[]> {
  const where = ["r.project_id = ?", "r.created_at >= ?", "r.created_at < ?", "r.known_answer = 0", "r.role IN ('reviewer', 'judge')"];
  const args: InValue[] = [projectId, f.from, f.to];
  if (f.workflow !== undefined) where.push("r.workflow = ?"), args.push(f.workflow);
  if (f.step !== undefined) where.push("r.step = ?"), args.push(f.step);
  const rs = await client.execute({
    sql: `SELECT r.escalation_id, r.workflow, r.step, r.actor, r.decision, r.corrected_output,
            e.decision AS settled_decision, e.corrected_output AS settled_output, e.resolution, e.reviewer_id
          FROM reviews r JOIN escalations e ON e.project_id = r.project_id AND e.id = r.escalation_id
          WHERE ${where.join(" AND ")} ORDER BY r.created_at DESC LIMIT ?`,
    args: [...args, MAX_DECISIONS],
  });
  return rs.rows.map((r) => ({
    escalationId: String(r.escalation_id),
    workflow: String(r.workflow),
    step: String(r.step),
    rater: String(r.actor),
    outcome: outcome(r.decision, r.corrected_output),
    settled: r.settled_decision === null ? null : outcome(r.settled_decision, r.settled_output),
    resolution: r.resolution === null ? null : String(r.resolution),
    settledBy: r.reviewer_id === null ? null : `user:${String(r.reviewer_id)}`,
  }));
}

/** Whether an item's settled decision says anything about `rater`: people settled it, and not by `rater`'s decision alone. */
const comparable = (r: Rating) =>
  r.settled !== null && (r.resolution === "consensus" || r.resolution === "adjudicated" || (r.resolution === "single" && r.settledBy !== r.rater));

export async function agreementReport(
  client: Client,
  projectId: string,
  f: { workflow?: string | undefined; step?: string | undefined; from: number; to: number },
): Promise<Omit<AgreementResponse, "window">> {
  const all = await ratings(client, projectId, f);
  const byItem = new Map<string, Rating[]>();
  for (const r of all) byItem.set(r.escalationId, [...(byItem.get(r.escalationId) ?? []), r]);

  const bySteps = new Map<string, string[][]>();
  const pairItems = new Map<string, Array<{ a: string; b: string }>>();
  const raterPairs = new Map<string, { pairs: number; agreeing: number; items: number }>();
  for (const item of byItem.values()) {
    if (item.length < 2) continue;
    const k = JSON.stringify([item[0]!.workflow, item[0]!.step]);
    bySteps.set(k, [...(bySteps.get(k) ?? []), item.map((r) => r.outcome)]);
    for (const x of item) {
      const s = raterPairs.get(x.rater) ?? { pairs: 0, agreeing: 0, items: 0 };
      s.items++;
      for (const y of item) {
        if (y === x) continue;
        s.pairs++;
        if (y.outcome === x.outcome) s.agreeing++;
      }
      raterPairs.set(x.rater, s);
    }
    for (let i = 0; i < item.length; i++) {
      for (let j = i + 1; j < item.length; j++) {
        const [x, y] = [item[i]!, item[j]!].sort((p, q) => (p.rater < q.rater ? -1 : 1));
        const key = JSON.stringify([x!.rater, y!.rater]);
        pairItems.set(key, [...(pairItems.get(key) ?? []), { a: x!.outcome, b: y!.outcome }]);
      }
    }
  }

  const steps: StepAgreement[] = [...bySteps].map(([k, items]) => {
    const [workflow, step] = JSON.parse(k) as [string, string];
    // Fleiss' κ needs one number of raters per item: the most common one (ties: the larger).
    const sizes = new Map<number, number>();
    for (const i of items) sizes.set(i.length, (sizes.get(i.length) ?? 0) + 1);
    const modal = [...sizes].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]![0];
    const fleissItems = items.filter((i) => i.length === modal);
    return {
      workflow,
      step,
      items: items.length,
      ratings: items.reduce((s, i) => s + i.length, 0),
      raters: new Set(all.filter((r) => r.workflow === workflow && r.step === step).map((r) => r.rater)).size,
      percentAgreement: percentAgreement(items),
      fleissKappa: fleissKappa(fleissItems),
      fleissItems: fleissItems.length,
      krippendorffAlpha: krippendorffAlpha(items),
    };
  });

  const settledStats = new Map<string, { n: number; agree: number }>();
  for (const r of all) {
    if (!comparable(r)) continue;
    const s = settledStats.get(r.rater) ?? { n: 0, agree: 0 };
    s.n++;
    if (r.outcome === r.settled) s.agree++;
    settledStats.set(r.rater, s);
  }
  const raters: RaterAgreement[] = [...new Set(all.map((r) => r.rater))].sort().map((rater) => {
    const p = raterPairs.get(rater);
    const s = settledStats.get(rater);
    return {
      rater,
      items: p?.items ?? 0,
      percentAgreement: p && p.pairs > 0 ? p.agreeing / p.pairs : null,
      settledItems: s?.n ?? 0,
      agreementWithSettled: s && s.n > 0 ? s.agree / s.n : null,
    };
  });

  const pairs: PairAgreement[] = [...pairItems].map(([k, list]) => {
    const [a, b] = JSON.parse(k) as [string, string];
    const r = agreement(list.map((p) => ({ judge: p.a, truth: p.b })));
    return { a, b, items: list.length, percentAgreement: r.accuracy, cohenKappa: r.kappa };
  });
  steps.sort((x, y) => x.workflow.localeCompare(y.workflow) || x.step.localeCompare(y.step));
  pairs.sort((x, y) => x.a.localeCompare(y.a) || x.b.localeCompare(y.b));
  return { steps, raters, pairs };
}

/** Each person's decisions on known-answer items against the settled answer they carry. */
export async function accuracyReport(client: Client, projectId: string, f: { from: number; to: number }): Promise<ReviewerAccuracy[]> {
  const rs = await client.execute({
    sql: `SELECT r.actor, r.decision, r.corrected_output, e.expected
          FROM reviews r JOIN escalations e ON e.project_id = r.project_id AND e.id = r.escalation_id
          WHERE r.project_id = ? AND r.created_at >= ? AND r.created_at < ? AND r.known_answer = 1 AND r.role IN ('reviewer', 'adjudicator')
            AND e.expected IS NOT NULL
          ORDER BY r.created_at DESC LIMIT ?`,
    args: [projectId, f.from, f.to, MAX_DECISIONS],
  });
  const stats = new Map<string, { n: number; correct: number }>();
  for (const r of rs.rows) {
    const expected = JSON.parse(String(r.expected)) as { decision: Decision; output: unknown };
    const s = stats.get(String(r.actor)) ?? { n: 0, correct: 0 };
    s.n++;
    if (outcome(r.decision, r.corrected_output) === outcomeKey(expected)) s.correct++;
    stats.set(String(r.actor), s);
  }
  return [...stats]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([rater, s]) => {
      const accuracy = s.correct / s.n;
      const [low, high] = wilsonInterval(accuracy, s.n);
      return { rater, items: s.n, correct: s.correct, accuracy, low, high };
    });
}
