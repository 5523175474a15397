import type { GoldenResultDetail, RunListResponse } from "./types.js";
import type { Query } from "./api.js";

/** Runs of one result read at most, a page of 500 at a time: a set of thousands of cases still opens. */
export const MAX_RESULT_RUNS = 5_000;
const PAGE = 500;
/** Runs carry the executor's clock, as the result's start and end do; an hour either side is slack for both. */
const SLACK_MS = 3_600_000;

/**
 * The runs a golden result sent (`GET /v1/runs?goldenResult=`), in the window the result ran in,
 * page after page up to MAX_RESULT_RUNS. `truncated` says the rest were left unread.
 */
export async function resultRuns(
  detail: Pick<GoldenResultDetail, "id" | "startedAt" | "finishedAt">,
  list: (q: Query) => Promise<RunListResponse>,
): Promise<{ runs: RunListResponse["items"]; truncated: boolean }> {
  const from = new Date(Date.parse(detail.startedAt) - SLACK_MS).toISOString();
  const to = new Date(Date.parse(detail.finishedAt) + SLACK_MS).toISOString();
  const runs: RunListResponse["items"] = [];
  let cursor: string | null = null;
  do {
    const page: RunListResponse = await list({ goldenResult: detail.id, from, to, limit: PAGE, cursor });
    runs.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null && runs.length < MAX_RESULT_RUNS);
  return { runs, truncated: cursor !== null };
}
