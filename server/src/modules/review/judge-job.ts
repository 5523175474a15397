import type { Job, JobContext, JobReport } from "../jobs/job.js";
import { judgeAnswer } from "./contract.js";
import { pendingHttpItems, recordJudgement, releaseTimedOut } from "./judgement-store.js";

export const JUDGE_ACTOR = "system:review-judge";

/** Items sent to HTTP judges per run; the rest wait for the next run (their timeout still applies). */
export const JUDGE_BATCH = 100;
/** Longest wait for one HTTP judge's answer, whatever its timeout: a run must not hang on one. */
const MAX_CALL_MS = 30_000;

/**
 * Staged review's server side: hands items whose judge did not answer in time to people, and
 * asks HTTP judges about the items waiting on them — a POST of the item (JSON), answered with
 * `{ decision, output?, confidence, reason }`. An answer that does not parse, a non-2xx or a
 * network error leaves the item waiting (counted), so its timeout sends it to people.
 */
export async function runReviewJudgeJob(ctx: JobContext): Promise<JobReport> {
  const released = await releaseTimedOut(ctx.store.client, ctx.now(), JUDGE_ACTOR, (tx) => ctx.fence(tx));
  const pending = await pendingHttpItems(ctx.store.client, JUDGE_BATCH);
  const schema = judgeAnswer(ctx.config.limits);
  let settled = 0;
  let toPeople = 0;
  let failed = 0;
  for (const p of pending) {
    if (ctx.signal.aborted) break;
    let answer: unknown;
    try {
      const res = await fetch(p.url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "Seamtrace-Judge/1", "seamtrace-judge": p.judge },
        body: JSON.stringify(p.item),
        signal: AbortSignal.timeout(Math.min(p.timeoutMs, MAX_CALL_MS)),
        redirect: "manual",
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      answer = await res.json();
    } catch (err) {
      failed++;
      ctx.log.info("review judge did not answer", { projectId: p.projectId, judge: p.judge, escalationId: p.item.escalationId, err: String(err) });
      continue;
    }
    const parsed = schema.safeParse(answer);
    if (!parsed.success) {
      failed++;
      ctx.log.info("review judge answered something that is not a judgement", {
        projectId: p.projectId,
        judge: p.judge,
        issue: parsed.error.issues[0]?.message,
      });
      continue;
    }
    const outcome = await recordJudgement(ctx.store.client, {
      projectId: p.projectId,
      id: p.item.escalationId,
      judge: p.judge,
      ...parsed.data,
      via: JUDGE_ACTOR,
      now: ctx.now(),
    });
    if (outcome.status === "settled") settled++;
    else if (outcome.status === "to_people") toPeople++;
  }
  return { rowsRead: pending.length + released, rowsWritten: settled + toPeople + released, details: { settled, toPeople, failed, timedOut: released } };
}

export const reviewJudgeJob: Job = { name: "review-judge", run: runReviewJudgeJob };
