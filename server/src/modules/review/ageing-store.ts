import type { Client } from "@libsql/client";
import type { GroupAgeing } from "./team-contract.js";
import { HALF_WAY } from "./deadlines-store.js";

/**
 * Queue ageing per review group: how long people took to settle items (p50, p95 over a window)
 * and how many waiting items are past half their deadline. Read by `GET /v1/review/ageing` and
 * stored as metrics by the deadline job, where alert rules watch them.
 */

/** Settled items a window's quantiles are computed over at most (the newest win past it). */
const MAX_DURATIONS = 200_000;

/**
 * Nearest-rank quantile of sorted values: the smallest value with at least a `q` share of the
 * values at or below it. Always one of the values (a real decision time), never interpolated.
 */
export function nearestRank(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export async function queueAgeing(client: Client, projectId: string, window: { from: number; to: number }, now: number): Promise<GroupAgeing[]> {
  // Settled by people in the window (a judge's or the deadline's settlement is no one's decision time).
  const settled = await client.execute({
    sql: `SELECT review_group, resolved_at - created_at FROM escalations
          WHERE project_id = ? AND resolved_at >= ? AND resolved_at < ? AND status = 'resolved'
            AND resolution IN ('single', 'consensus', 'adjudicated') AND known_answer_of IS NULL
          ORDER BY resolved_at DESC LIMIT ?`,
    args: [projectId, window.from, window.to, MAX_DURATIONS],
  });
  const waiting = await client.execute({
    sql: `SELECT review_group, count(*),
            coalesce(sum(due_at IS NOT NULL AND ${HALF_WAY} <= ?), 0),
            coalesce(sum(due_at IS NOT NULL AND due_at <= ?), 0)
          FROM escalations WHERE project_id = ? AND status IN ('open', 'in_review', 'disputed') AND judge_pending = 0
          GROUP BY review_group`,
    args: [now, now, projectId],
  });
  const groups = new Map<string | null, GroupAgeing & { durations: number[] }>();
  const entry = (g: unknown) => {
    const key = g === null || g === undefined ? null : String(g);
    let e = groups.get(key);
    if (!e) groups.set(key, (e = { group: key, decided: 0, p50Ms: null, p95Ms: null, waiting: 0, pastHalfDeadline: 0, overdue: 0, durations: [] }));
    return e;
  };
  for (const r of settled.rows) entry(r[0]).durations.push(Math.max(0, Number(r[1])));
  for (const r of waiting.rows) {
    const e = entry(r[0]);
    e.waiting = Number(r[1]);
    e.pastHalfDeadline = Number(r[2]);
    e.overdue = Number(r[3]);
  }
  return [...groups.values()]
    .map(({ durations, ...g }) => {
      durations.sort((a, b) => a - b);
      return { ...g, decided: durations.length, p50Ms: nearestRank(durations, 0.5), p95Ms: nearestRank(durations, 0.95) };
    })
    .sort((a, b) => (a.group ?? "").localeCompare(b.group ?? ""));
}
