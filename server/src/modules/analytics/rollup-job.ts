import type { StepEvent } from "@seamtrace/sdk";
import { dayRows, emptyRow, foldLabel, foldStep, hourOf, keyString, mergeRow, type LabelGroup, type RollupKey, type RollupRow } from "./maths/rollup.js";
import { cursorStatement, readCursor } from "../jobs/store.js";
import {
  appliedStatements,
  eventsAfter,
  labelsAfter,
  loadApplied,
  loadRollupDays,
  loadRollups,
  rollupDayStatements,
  rollupStatements,
  type AppliedLabel,
  type NewLabel,
} from "./rollups-store.js";
import { withWriteLock } from "../../platform/db/write-transaction.js";
import type { InStatement, Transaction } from "@libsql/client";
import type { Job, JobContext, JobReport } from "../jobs/job.js";
import { yieldToEventLoop } from "../../platform/yield.js";

/** Cursors in job_cursors: how far the rollups have folded the event log and the labels. */
export const EVENTS_CURSOR = "rollup:events";
export const LABELS_CURSOR = "rollup:labels";

/** Events (or labels) folded per transaction: bounds the write lock's hold and the memory. */
const CHUNK = 5_000;

/**
 * Folds what is new since the last run into the hourly rollups: step events from the
 * event log, behind a cursor on `events.seq` (like the projector's), and labels behind a
 * cursor on their rowid, each label into the hour and confidence bin of the output it labels,
 * however late it arrives. No run rescans history: each reads its chunks and the few rows they touch.
 *
 * A chunk is read and folded outside the write lock (parsing is the expensive part) and merged
 * into the stored rows inside it, with the cursor, so a crash or a lost lease never folds a
 * chunk twice or skips one.
 */
export async function runRollupJob(ctx: JobContext): Promise<JobReport> {
  let rowsRead = 0;
  let rowsWritten = 0;
  let events = 0;
  let labels = 0;
  for (;;) {
    const r = await eventChunk(ctx);
    rowsRead += r.read;
    rowsWritten += r.written;
    events += r.read;
    if (r.read < CHUNK || ctx.signal.aborted) break;
    await yieldToEventLoop();
  }
  for (;;) {
    if (ctx.signal.aborted) break;
    const r = await labelChunk(ctx);
    rowsRead += r.read;
    rowsWritten += r.written;
    labels += r.read;
    if (r.read < CHUNK) break;
    await yieldToEventLoop();
  }
  return { rowsRead, rowsWritten, details: { events, labels } };
}

export const rollupJob: Job = { name: "rollup", run: runRollupJob };

class CursorMoved extends Error {
  constructor(name: string) {
    super(`the ${name} cursor moved under this run (another runner?); its chunk was not written`);
  }
}

async function eventChunk(ctx: JobContext): Promise<{ read: number; written: number }> {
  const client = ctx.store.client;
  const from = await readCursor(client, EVENTS_CURSOR);
  const logged = await eventsAfter(client, from, CHUNK);
  if (logged.length === 0) return { read: 0, written: 0 };
  const deltas = new Map<string, RollupRow>();
  const row = (key: RollupKey) => {
    const k = keyString(key);
    let r = deltas.get(k);
    if (!r) deltas.set(k, (r = emptyRow(key)));
    return r;
  };
  for (const l of logged) {
    if (l.body === null) continue;
    let e: StepEvent;
    try {
      e = JSON.parse(l.body) as StepEvent;
    } catch {
      continue; // the collector stored it as valid JSON; an unreadable row is skipped, not fatal
    }
    // Golden-set evaluations replay known cases on purpose: they are not traffic to measure.
    if (e.golden) continue;
    const t = Date.parse(e.time);
    if (!Number.isFinite(t)) continue;
    const base = { projectId: l.projectId, workflow: e.workflow, version: e.version, hour: hourOf(t) };
    foldStep(row({ ...base, step: e.step }), row({ ...base, step: "" }), {
      stepId: e.stepId,
      failed: e.type === "step.failed",
      source: e.source,
      confidence: e.confidence,
      confidenceSource: e.confidenceSource,
      cumulative: e.cumulative,
      gate: e.gate?.outcome,
      spotCheck: e.spotCheck !== undefined,
      durationMs: e.durationMs,
      output: e.output,
      features: e.features,
    });
  }
  const to = logged[logged.length - 1]!.seq;
  const written = await withWriteLock(client, async (tx) => {
    if ((await readCursor(tx, EVENTS_CURSOR)) !== from) throw new CursorMoved(EVENTS_CURSOR);
    const { statements, written } = await mergeDeltas(tx, deltas, ctx.now());
    await ctx.fence(tx);
    await tx.batch([...statements, cursorStatement(EVENTS_CURSOR, to, ctx.now())]);
    return { commit: true, value: written };
  });
  return { read: logged.length, written };
}

/**
 * Adds a chunk's deltas to the stored hourly rows and to their days' rows (rollup_days), so
 * the daily rows are always the sums of the hourly ones, in the same transaction. Returns the
 * statements that write both, and how many hourly rows they write.
 */
async function mergeDeltas(tx: Transaction, deltas: Map<string, RollupRow>, now: number): Promise<{ statements: InStatement[]; written: number }> {
  // Summed per day before the hourly merge, which adds into the stored rows (and returns the
  // deltas themselves for hours not stored yet).
  const days = dayRows(deltas.values());
  const stored = await loadRollups(
    tx,
    [...deltas.values()].map((d) => d.key),
  );
  const merged = [...deltas].map(([k, d]) => (stored.has(k) ? mergeRow(stored.get(k)!, d) : d));
  const storedDays = await loadRollupDays(
    tx,
    [...days.values()].map((d) => d.key),
  );
  const mergedDays = [...days].map(([k, d]) => (storedDays.has(k) ? mergeRow(storedDays.get(k)!, d) : d));
  return { statements: [...rollupStatements(merged, now), ...rollupDayStatements(mergedDays, now)], written: merged.length };
}

/**
 * How a label was sampled decides its group, its inclusion probability and its weight
 * (Horvitz–Thompson: 1 / inclusion). A spot check was drawn at the rate its event recorded
 * (which may depend on its confidence); every escalation is queued, so 1; golden and feedback
 * labels follow no sampling design, so none (weight 1, kept apart in the "other" group).
 */
function groupOf(l: NewLabel): { grp: LabelGroup; weight: number; inclusion: number | null } {
  if (l.source === "spot_check") {
    const inclusion = l.samplingRate && l.samplingRate > 0 ? Math.min(1, l.samplingRate) : 1;
    return { grp: "spot", weight: 1 / inclusion, inclusion };
  }
  if (l.source === "review") return { grp: "review", weight: 1, inclusion: 1 };
  return { grp: "other", weight: 1, inclusion: null };
}

async function labelChunk(ctx: JobContext): Promise<{ read: number; written: number }> {
  const client = ctx.store.client;
  const from = await readCursor(client, LABELS_CURSOR);
  const fresh = await labelsAfter(client, from, CHUNK);
  if (fresh.length === 0) return { read: 0, written: 0 };
  const to = fresh[fresh.length - 1]!.seq;
  const written = await withWriteLock(client, async (tx) => {
    if ((await readCursor(tx, LABELS_CURSOR)) !== from) throw new CursorMoved(LABELS_CURSOR);
    // A label that says nothing about correctness, or labels an output without a confidence,
    // cannot go into a calibration bin: it moves the cursor and changes nothing else.
    const usable = fresh.filter((l) => l.correct !== null && l.confidence !== null && l.at !== null);
    const applied = await loadApplied(tx, usable);
    const changed = new Map<string, AppliedLabel>();
    const deltas = new Map<string, RollupRow>();
    const row = (key: RollupKey) => {
      const k = keyString(key);
      let r = deltas.get(k);
      if (!r) deltas.set(k, (r = emptyRow(key)));
      return r;
    };
    const apply = (a: AppliedLabel, sign: 1 | -1) => {
      const base = { projectId: a.projectId, workflow: a.workflow, version: a.version, hour: a.hour };
      foldLabel(row({ ...base, step: a.step }), a.grp, a.confidence, a.correct, a.weight, sign);
      if (a.cumulative !== null) foldLabel(row({ ...base, step: "" }), a.grp, a.cumulative, a.correct, a.weight, sign);
    };
    for (const l of usable) {
      const k = `${l.projectId} ${l.stepId}`;
      // The newest label of a step is its ground truth: an older one is taken back out first.
      const previous = changed.get(k) ?? applied.get(k);
      if (previous) apply(previous, -1);
      const next: AppliedLabel = {
        projectId: l.projectId,
        stepId: l.stepId,
        labelSeq: l.seq,
        workflow: l.workflow,
        version: l.version,
        step: l.step,
        hour: hourOf(l.at!),
        ...groupOf(l),
        confidence: l.confidence!,
        cumulative: l.cumulative,
        correct: l.correct!,
      };
      apply(next, 1);
      changed.set(k, next);
    }
    const { statements, written } = await mergeDeltas(tx, deltas, ctx.now());
    await ctx.fence(tx);
    await tx.batch([...statements, ...appliedStatements(changed.values()), cursorStatement(LABELS_CURSOR, to, ctx.now())]);
    return { commit: true, value: written };
  });
  return { read: fresh.length, written };
}
