import { and, asc, count, desc, eq, gte, inArray, isNotNull, isNull, lt, max, or, sql, type SQL } from "drizzle-orm";
import type { RunStatus } from "@seamtrace/sdk";
import type {
  Edge,
  GoldenFilter,
  RunCursor,
  RunDetailResponse,
  RunSummary,
  RunView,
  StepView,
  TimeWindow,
  WorkflowListResponse,
  WorkflowView,
} from "./contract.js";
import type { Db } from "../../platform/db/client.js";
import { projectKeyOf } from "../../platform/db/project-key.js";
import { runHours, runs, steps, workflows } from "./schema.js";
import { HOUR, hourOf } from "./run-hours.js";
import { iso, isoOrNull, parseJson } from "../../platform/db/json.js";
import { stepExtras } from "../ingest/otlp/details-store.js";
import { events } from "../ingest/schema.js";
import { stepEventOn, stepPayload } from "./step-payload.js";
import { runPayload, runPayloadFields } from "./run-payload.js";

/**
 * Reads for the query API. Every function takes the project id and puts it first in every
 * WHERE: it is the leading column of each index, and the only tenancy boundary there is.
 */

/**
 * The worker resuming the run went away: its resume claim lapsed at `now` without being renewed
 * or completed, so the run is listed as resumable again. One probe of escalations_run_idx a row.
 */
const resumerLost = (projectId: string, now: number) =>
  // Spelled out: drizzle writes selected columns unqualified, which inside the subquery would name escalations' own.
  sql<number>`EXISTS (SELECT 1 FROM escalations e WHERE e.project_id = ${projectId} AND e.run_id = "runs"."id"
    AND e.blocking = 1 AND e.lease_expires_at <= ${now})`;

/** A run's summary, for runs of `projectId` (escalations keep the project's id, runs its key). */
const summaryColumns = (projectId: string, now: number) => ({
  id: runs.id,
  workflow: runs.workflow,
  version: runs.version,
  key: runs.key,
  status: runs.status,
  startedAt: runs.startedAt,
  endedAt: runs.endedAt,
  durationMs: runs.durationMs,
  stepCount: runs.stepCount,
  minCumulative: runs.minCumulative,
  error: runs.error,
  resumerLost: resumerLost(projectId, now),
  goldenResult: runs.goldenResult,
  goldenSet: runs.goldenSet,
  goldenCase: runs.goldenCase,
  goldenOutcome: runs.goldenOutcome,
});

type SummaryRow = {
  id: string;
  workflow: string;
  version: string;
  key: string | null;
  status: RunStatus;
  startedAt: number;
  endedAt: number | null;
  durationMs: number | null;
  stepCount: number;
  minCumulative: number | null;
  error: string | null;
  resumerLost: number;
  goldenResult: string | null;
  goldenSet: string | null;
  goldenCase: string | null;
  goldenOutcome: "pass" | "fail" | null;
};

function toSummary(row: SummaryRow): RunSummary {
  return {
    id: row.id,
    workflow: row.workflow,
    version: row.version,
    key: row.key,
    status: row.status,
    startedAt: iso(row.startedAt),
    endedAt: isoOrNull(row.endedAt),
    durationMs: row.durationMs,
    stepCount: row.stepCount,
    minCumulative: row.minCumulative,
    error: parseJson(row.error),
    resumerLost: Number(row.resumerLost) === 1,
    golden:
      row.goldenResult === null
        ? null
        : { result: row.goldenResult, set: row.goldenSet ?? "", case: row.goldenCase ?? "", outcome: row.goldenOutcome ?? "fail" },
  };
}

/**
 * Without ANALYZE statistics SQLite rates `project_id = ? AND status = ?` barely more selective
 * than `project_id = ?`, so it walks runs_project_started_idx (already in ORDER BY order) and
 * filters: every run in the window is read to find a few failed ones. The likelihood hint makes
 * it take the filter's own index (runs_status_started_idx, runs_workflow_started_idx), which
 * visits only matching rows and sorts just the ties on started_at. Checked by EXPLAIN in the
 * route tests. The probability must be a literal, not a bound parameter.
 */
/** LIKE's wildcards taken literally: a search for "50%" means those characters. */
const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

const selective = (term: SQL): SQL => sql`likelihood(${term}, 0.05)`;

export interface RunFilter {
  workflow?: string | undefined;
  version?: string | undefined;
  status?: RunStatus | undefined;
  /** Free text: a run id or its start, or part of a key or an error message (case-insensitive). */
  q?: string | undefined;
  /** Runs of golden-set evaluations: left out (default), in, or alone. */
  golden?: GoldenFilter | undefined;
  /** Only the runs of this golden result. */
  goldenResult?: string | undefined;
  window: TimeWindow;
  limit: number;
  /** Continue after this item (exclusive). */
  after?: RunCursor | undefined;
  /** The time resume claims are judged at (`resumerLost`). */
  now: number;
}

/**
 * The list query, unexecuted, so tests can EXPLAIN it. Newest first with `id` breaking ties, so
 * the keyset cursor (startedAt, id) is a total order and paging neither skips nor repeats.
 * Fetches `limit + 1` rows: the extra one says whether a next page exists.
 */
export function runListQuery(db: Db, projectId: string, filter: RunFilter) {
  const after = filter.after;
  // The cursor tightens the window's upper bound instead of adding a second range term on
  // started_at: an extra bound tips SQLite back to runs_project_started_idx (see `selective`).
  const upper = after ? Math.min(filter.window.to, after.startedAt + 1) : filter.window.to;
  const where: SQL[] = [eq(runs.projectKey, projectKeyOf(projectId)), gte(runs.startedAt, filter.window.from), lt(runs.startedAt, upper)];
  if (filter.workflow !== undefined) {
    // A scalar subquery (names are unique per project) rather than IN: with `=`, SQLite walks
    // runs_workflow_started_idx in started_at order and stops at the limit instead of sorting
    // every run of the workflow in the window.
    const workflowId = db
      .select({ id: workflows.id })
      .from(workflows)
      .where(and(eq(workflows.projectId, projectId), eq(workflows.name, filter.workflow)));
    where.push(selective(sql`${runs.workflowId} = (${workflowId})`));
  }
  if (filter.version !== undefined) where.push(eq(runs.version, filter.version));
  if (filter.status !== undefined) where.push(selective(eq(runs.status, filter.status)));
  if (filter.q !== undefined) {
    // A residual filter over the window's runs (no index can serve a substring), so its cost is
    // the window's runs at most, and it stops at the page's limit like any other filter.
    const like = `%${escapeLike(filter.q)}%`;
    where.push(
      or(
        sql`${runs.id} LIKE ${`${escapeLike(filter.q)}%`} ESCAPE '\\'`,
        sql`${runs.key} LIKE ${like} ESCAPE '\\'`,
        sql`json_extract(${runs.error}, '$.message') LIKE ${like} ESCAPE '\\'`,
      )!,
    );
  }
  // The partial index's own condition, spelled out: SQLite does not infer it through likelihood().
  if (filter.goldenResult !== undefined) where.push(isNotNull(runs.goldenResult), selective(eq(runs.goldenResult, filter.goldenResult)));
  else if (filter.golden === "only") where.push(isNotNull(runs.goldenResult));
  else if (filter.golden !== "include") where.push(isNull(runs.goldenResult));
  // Within the cursor's own millisecond, id decides; only runs_project_started_idx holds id,
  // so this stays a residual filter and every runs index can still serve the range.
  if (after) where.push(or(lt(runs.startedAt, after.startedAt), lt(runs.id, after.id))!);
  return db
    .select(summaryColumns(projectId, filter.now))
    .from(runs)
    .where(and(...where))
    .orderBy(desc(runs.startedAt), desc(runs.id))
    .limit(filter.limit + 1);
}

export async function listRuns(db: Db, projectId: string, filter: RunFilter): Promise<{ items: RunSummary[]; last: RunCursor | null }> {
  const rows = await runListQuery(db, projectId, filter).all();
  const page = rows.slice(0, filter.limit);
  const tail = page[page.length - 1];
  return {
    items: page.map(toSummary),
    last: rows.length > filter.limit && tail ? { startedAt: tail.startedAt, id: tail.id } : null,
  };
}

// Named columns rather than `select()`: the answer is exactly these fields, and a column the
// ingest adds later is not read (or exposed) until someone decides it should be.
const stepColumns = {
  id: steps.id,
  name: steps.name,
  status: steps.status,
  confidence: steps.confidence,
  cumulative: steps.cumulative,
  source: steps.source,
  observedAt: steps.observedAt,
  maxAgeMs: steps.maxAgeMs,
  stale: steps.stale,
  flagged: steps.flagged,
  attempts: steps.attempts,
  durationMs: steps.durationMs,
  startedAt: steps.startedAt,
  endedAt: steps.endedAt,
  // The payloads are in the body of the step's event (step-payload.ts); raw, as TEXT or a BLOB.
  eventBody: sql<unknown>`${events.body}`,
};

export function stepsQuery(db: Db, projectId: string, runId: string, maxSteps: number) {
  return db
    .select(stepColumns)
    .from(steps)
    .leftJoin(events, stepEventOn)
    .where(and(eq(steps.projectKey, projectKeyOf(projectId)), eq(steps.runId, runId)))
    .orderBy(asc(steps.startedAt), asc(steps.id))
    .limit(maxSteps + 1);
}

type StepRow = Awaited<ReturnType<typeof stepsQuery>>[number];

function toStep(row: StepRow): Omit<StepView, "scores" | "metadata" | "records"> {
  // The body is the event as validated at ingest, so its fields have the wire types (as the columns that held them did).
  const p = stepPayload(row.eventBody);
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    parents: p.parents,
    input: p.input,
    output: p.output,
    confidence: row.confidence,
    cumulative: row.cumulative,
    source: row.source as StepView["source"],
    observedAt: isoOrNull(row.observedAt),
    maxAgeMs: row.maxAgeMs,
    stale: row.stale,
    flagged: row.flagged,
    reasoning: p.reasoning,
    alternatives: p.alternatives as StepView["alternatives"],
    features: p.features as StepView["features"],
    attempts: row.attempts,
    attemptErrors: p.attemptErrors as StepView["attemptErrors"],
    error: p.error as StepView["error"],
    gate: p.gate as StepView["gate"],
    durationMs: row.durationMs,
    startedAt: iso(row.startedAt),
    endedAt: iso(row.endedAt),
  };
}

/**
 * One run with its steps and lineage edges, or null when the project has no such run — the
 * same answer for another project's run, so ids reveal nothing across projects.
 */
export async function getRunDetail(db: Db, projectId: string, runId: string, maxSteps: number, now: number): Promise<RunDetailResponse | null> {
  const run = await db
    .select({ ...summaryColumns(projectId, now), ...runPayloadFields, stopStepId: runs.stopStepId, updatedAt: runs.updatedAt })
    .from(runs)
    .where(and(eq(runs.projectKey, projectKeyOf(projectId)), eq(runs.id, runId)))
    .get();
  if (!run) return null;
  const rows = await stepsQuery(db, projectId, runId, maxSteps).all();
  const truncated = rows.length > maxSteps;
  const kept = rows.slice(0, maxSteps);
  const extras = await stepExtras(
    db.$client,
    projectId,
    kept.map((r) => r.id),
  );
  const stepViews: StepView[] = kept.map((r) => {
    const x = extras.get(r.id);
    return { ...toStep(r), scores: x?.scores ?? [], metadata: x?.metadata ?? null, records: x?.records ?? [] };
  });
  const present = new Set(stepViews.map((s) => s.id));
  const edges: Edge[] = [];
  for (const step of stepViews) {
    // A parent can be absent (cut by truncation, or its event never arrived); an edge to a node
    // that is not in the answer would break a graph layout, and `parents` still names it.
    for (const parent of new Set(step.parents)) if (present.has(parent)) edges.push({ from: parent, to: step.id });
  }
  const view: RunView = {
    ...toSummary(run),
    ...runPayload(run),
    stopStepId: run.stopStepId,
    updatedAt: iso(run.updatedAt),
  };
  return { run: view, steps: stepViews, edges, truncated };
}

export const MAX_WORKFLOWS = 1_000;
export const MAX_WORKFLOW_VERSIONS = 5_000;

/**
 * Per (workflow, version) run counts in the window: the only part that reads `runs`. Most
 * recently run first, so when the cap bites it drops the versions nobody is filtering for.
 */
export function versionCountsQuery(db: Db, projectId: string, window: TimeWindow) {
  const lastRunAt = max(runs.startedAt);
  return (
    db
      .select({ workflowId: runs.workflowId, version: runs.version, runCount: count(), lastRunAt })
      .from(runs)
      // Production traffic only, as run_hours counts it.
      .where(and(eq(runs.projectKey, projectKeyOf(projectId)), gte(runs.startedAt, window.from), lt(runs.startedAt, window.to), isNull(runs.goldenResult)))
      .groupBy(runs.workflowId, runs.version)
      .orderBy(desc(lastRunAt), asc(runs.version))
      .limit(MAX_WORKFLOW_VERSIONS + 1)
  );
}

type VersionCount = { workflowId: string; version: string; runCount: number; lastRunAt: number | null };

/**
 * Per (workflow, version) run counts in the window, most recently run first: whole hours from
 * run_hours (store/run-hours.ts, kept by the projector), the partial hours at either edge counted
 * from `runs`. So the cost is the window's hours plus at most two hours of runs, however many runs
 * the window holds (counting them all was linear in the store: test/reliability/scale.test.ts).
 */
export async function versionCounts(db: Db, projectId: string, window: TimeWindow): Promise<VersionCount[]> {
  const first = hourOf(window.from) === window.from ? window.from : hourOf(window.from) + HOUR;
  const last = hourOf(window.to);
  if (first >= last) return versionCountsQuery(db, projectId, window).all();
  const [head, body, tail] = await Promise.all([
    first > window.from ? versionCountsQuery(db, projectId, { from: window.from, to: first }).all() : [],
    db
      .select({ workflowId: runHours.workflowId, version: runHours.version, runCount: sql<number>`sum(${runHours.runs})`, lastRunAt: max(runHours.lastRunAt) })
      .from(runHours)
      .where(and(eq(runHours.projectId, projectId), gte(runHours.hour, first), lt(runHours.hour, last)))
      .groupBy(runHours.workflowId, runHours.version)
      .all(),
    last < window.to ? versionCountsQuery(db, projectId, { from: last, to: window.to }).all() : [],
  ]);
  const merged = new Map<string, VersionCount>();
  for (const r of [...head, ...body, ...tail]) {
    const k = `${r.workflowId}\u0000${r.version}`;
    const m = merged.get(k);
    if (!m) merged.set(k, { ...r, runCount: Number(r.runCount) });
    else {
      m.runCount += Number(r.runCount);
      if (r.lastRunAt !== null && (m.lastRunAt === null || r.lastRunAt > m.lastRunAt)) m.lastRunAt = r.lastRunAt;
    }
  }
  return [...merged.values()]
    .filter((r) => r.runCount > 0)
    .sort((a, b) => (b.lastRunAt ?? 0) - (a.lastRunAt ?? 0) || (a.version < b.version ? -1 : a.version > b.version ? 1 : 0))
    .slice(0, MAX_WORKFLOW_VERSIONS + 1);
}

/**
 * The project's workflows (all of them, so idle ones still appear in UI filters) with the
 * versions and run counts seen in the window (versionCounts).
 */
export async function listWorkflows(db: Db, projectId: string, window: TimeWindow): Promise<Omit<WorkflowListResponse, "window">> {
  const [wfRows, countRows] = await Promise.all([
    db
      .select({ id: workflows.id, name: workflows.name, createdAt: workflows.createdAt })
      .from(workflows)
      .where(eq(workflows.projectId, projectId))
      .orderBy(asc(workflows.name))
      .limit(MAX_WORKFLOWS + 1)
      .all(),
    versionCounts(db, projectId, window),
  ]);
  const byId = new Map<string, WorkflowView>();
  const items = wfRows.slice(0, MAX_WORKFLOWS).map((w) => {
    const view: WorkflowView = { name: w.name, createdAt: iso(w.createdAt), runCount: 0, lastRunAt: null, versions: [] };
    byId.set(w.id, view);
    return view;
  });
  for (const row of countRows.slice(0, MAX_WORKFLOW_VERSIONS)) {
    const view = byId.get(row.workflowId);
    if (!view || row.lastRunAt === null) continue;
    const lastRunAt = iso(row.lastRunAt);
    // Rows arrive most recent first, so the first version seen holds the workflow's last run.
    view.lastRunAt ??= lastRunAt;
    view.runCount += row.runCount;
    view.versions.push({ version: row.version, runCount: row.runCount, lastRunAt });
  }
  return { items, truncated: wfRows.length > MAX_WORKFLOWS || countRows.length > MAX_WORKFLOW_VERSIONS };
}

/**
 * The runs a golden result made for the given cases, by case, oldest first (a case run several
 * times, `--trials`, has several). Through runs_golden_idx: its cost is the cases asked for.
 */
export async function goldenCaseRuns(db: Db, projectId: string, resultId: string, cases: readonly string[]): Promise<Record<string, string[]>> {
  // A Map, then own properties: case ids are the set author's strings ("__proto__" included).
  const out = new Map<string, string[]>();
  const unique = [...new Set(cases)];
  for (let i = 0; i < unique.length; i += 200) {
    const part = unique.slice(i, i + 200);
    const rows = await db
      .select({ id: runs.id, goldenCase: runs.goldenCase })
      .from(runs)
      .where(and(eq(runs.projectKey, projectKeyOf(projectId)), eq(runs.goldenResult, resultId), inArray(runs.goldenCase, part)))
      .orderBy(asc(runs.startedAt), asc(runs.id))
      .all();
    for (const r of rows) {
      const list = out.get(r.goldenCase!);
      if (list) list.push(r.id);
      else out.set(r.goldenCase!, [r.id]);
    }
  }
  return Object.fromEntries(out);
}
