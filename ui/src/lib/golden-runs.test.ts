import { describe, expect, it } from "vitest";
import type { Query } from "./api.js";
import { MAX_RESULT_RUNS, resultRuns } from "./golden-runs.js";
import type { RunListResponse, RunSummary } from "./types.js";

const detail = { id: "res-1", startedAt: "2026-03-01T10:00:00.000Z", finishedAt: "2026-03-01T10:05:00.000Z" };
const run = (i: number): RunSummary => ({
  id: `r${i}`,
  workflow: "claims",
  version: "3",
  key: null,
  status: "completed",
  startedAt: detail.startedAt,
  endedAt: null,
  durationMs: null,
  stepCount: 1,
  minCumulative: null,
  error: null,
  golden: { result: "res-1", set: "claims", case: `c${i}`, outcome: "pass" },
});

/** The list endpoint's paging over `total` runs: pages of `limit`, a cursor while more remain. */
function pages(total: number) {
  const asked: Query[] = [];
  const list = async (q: Query): Promise<RunListResponse> => {
    asked.push(q);
    const start = q.cursor ? Number(q.cursor) : 0;
    const end = Math.min(total, start + Number(q.limit));
    return { items: Array.from({ length: end - start }, (_, i) => run(start + i)), nextCursor: end < total ? String(end) : null, window: { from: "", to: "" } };
  };
  return { list, asked };
}

describe("resultRuns", () => {
  it("reads every page of the result's runs, in the window it ran in with an hour either side", async () => {
    const { list, asked } = pages(1_203);
    const got = await resultRuns(detail, list);
    expect(got.runs).toHaveLength(1_203);
    expect(got.truncated).toBe(false);
    expect(asked).toHaveLength(3);
    expect(asked[0]).toEqual({ goldenResult: "res-1", from: "2026-03-01T09:00:00.000Z", to: "2026-03-01T11:05:00.000Z", limit: 500, cursor: null });
    expect(asked[1]!.cursor).toBe("500");
  });

  it("stops at MAX_RESULT_RUNS and says the rest were left unread", async () => {
    const { list, asked } = pages(MAX_RESULT_RUNS + 1);
    const got = await resultRuns(detail, list);
    expect(got.runs).toHaveLength(MAX_RESULT_RUNS);
    expect(got.truncated).toBe(true);
    expect(asked).toHaveLength(MAX_RESULT_RUNS / 500);
  });
});
