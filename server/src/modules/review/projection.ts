import type { InStatement, InValue, Row, Transaction } from "@libsql/client";
import type { RunStartedEvent, SeamtraceEvent, Source, StepEvent } from "@seamtrace/sdk";
import { RUN_SO_FAR_OUTPUT_CHARS, RUN_SO_FAR_STEPS, type EscalationKind, type EscalationPacket, type LineageParent, type RunSoFarStep } from "./contract.js";
import { chunks, multiRow } from "../../platform/db/sql.js";
import { enqueueWebhookStatement } from "../webhooks/store.js";
import { parseJson } from "../../platform/db/json.js";
import { knownAnswerStatement } from "./known-answers.js";
import { teamSettings } from "./team-settings.js";
import { STEP_EVENT_JOIN, stepPayload } from "../runs/step-payload.js";
import { runPayload, runPayloadColumns } from "../runs/run-payload.js";
import { idFromStored, storedId } from "../../platform/db/stored-id.js";
import { PROJECT_KEY } from "../../platform/db/project-key.js";

/** One event of a projection batch, with its project. */
export interface BatchEvent {
  projectId: string;
  receivedAt: number;
  event: SeamtraceEvent;
}

const ESCALATION_ROWS_PER_STATEMENT = 50;

/**
 * The review side of a projection batch: an escalation row (with its packet) for every
 * step event carrying an `escalationId` not seen before, its `escalation.created` webhook, and
 * the step contracts the SDK reported. Runs inside the projection's write transaction, before
 * the batch's own rows are written: the packet reads earlier steps from the steps table and
 * takes the batch's steps from its events, so it does not depend on how events were batched.
 */
export async function reviewStatements(tx: Transaction, batch: readonly BatchEvent[], now: number): Promise<InStatement[]> {
  const stmts = [...contractStatements(batch), ...claimsDone(batch)];
  const candidates = await newEscalations(tx, batch);
  if (candidates.length === 0) return stmts;

  const index = indexBatch(batch);
  const rows: InValue[][] = [];
  const webhooks: InStatement[] = [];
  const extras: InStatement[] = [];
  const team = await teamSettings(tx, candidates);
  for (const { projectId, event: e } of candidates) {
    const packet = await buildPacket(tx, projectId, e, index);
    const { kind, blocking, samplingRate } = classify(e);
    const createdAt = Date.parse(e.time);
    const gateKinds = e.gate?.kinds ?? [];
    const { settings: review, judge, knownAnswerRate } = team(projectId, e.workflow, e.step);
    const dueAt = review.reviewBy === null ? null : createdAt + review.reviewBy;
    rows.push([
      projectId,
      e.escalationId!,
      e.runId,
      e.stepId,
      e.workflow,
      e.version,
      e.step,
      kind,
      JSON.stringify(gateKinds),
      blocking ? 1 : 0,
      samplingRate,
      e.confidence ?? null,
      e.cumulative ?? null,
      JSON.stringify(packet),
      "open",
      createdAt,
      e.epoch ?? 0,
      review.reviewers,
      review.consensus,
      review.reviewGroup,
      review.reviewBy,
      dueAt,
      dueAt === null ? null : review.onExpiry,
      judge,
      judge === null ? 0 : 1,
    ]);
    // A step with a judge is announced when the judge hands it to people (or never, if it settles it).
    if (judge === null) {
      // The announcement carries ids and scores, not the packet: model outputs are the project's
      // data, and a receiver that wants them reads them through the API.
      webhooks.push(
        enqueueWebhookStatement(
          projectId,
          "escalation.created",
          {
            escalationId: e.escalationId,
            runId: e.runId,
            stepId: e.stepId,
            workflow: e.workflow,
            version: e.version,
            step: e.step,
            kind,
            blocking,
            reviewGroup: review.reviewGroup,
            reviewersRequired: review.reviewers,
            dueAt: dueAt === null ? null : new Date(dueAt).toISOString(),
            gateKinds,
            samplingRate,
            confidence: e.confidence ?? null,
            cumulative: e.cumulative ?? null,
            createdAt: new Date(createdAt).toISOString(),
          },
          now,
        ),
      );
    }
    if (knownAnswerRate > 0) {
      const copy = await knownAnswerStatement(
        tx,
        { projectId, id: e.escalationId!, workflow: e.workflow, step: e.step, createdAt, dueAt, settings: review },
        knownAnswerRate,
      );
      if (copy) extras.push(copy);
    }
  }
  for (const part of chunks(rows, ESCALATION_ROWS_PER_STATEMENT)) {
    stmts.push(
      multiRow(
        `INSERT INTO escalations (project_id, id, run_id, step_id, workflow, version, step, kind, gate_kinds, blocking,
           sampling_rate, confidence, cumulative, packet, status, created_at, epoch,
           reviewers_required, consensus, review_group, review_by_ms, due_at, on_expiry, judge, judge_pending) VALUES `,
        part,
        // Checked above under the write lock; kept so a replayed batch can never fail on it.
        " ON CONFLICT (project_id, id) DO NOTHING",
      ),
    );
  }
  stmts.push(...webhooks, ...extras);
  return stmts;
}

/**
 * A resume claim is done once the run has moved past it: an end of the run (completed, failed,
 * or paused at a new review) from the claim's epoch or a later one. Its lease is cleared, so it
 * never lapses into "resumable" again. An event without an epoch (an older SDK) ends any claim.
 */
function claimsDone(batch: readonly BatchEvent[]): InStatement[] {
  const stmts: InStatement[] = [];
  const legacy: InValue[][] = [];
  for (const { projectId, event: e } of batch) {
    if (e.type !== "run.completed" && e.type !== "run.failed" && e.type !== "run.paused") continue;
    // A claim's epoch is at least 1: a first execution (epoch 0) never ends one, and costs nothing here.
    if (e.epoch === undefined) legacy.push([projectId, e.runId]);
    else if (e.epoch > 0) {
      stmts.push({
        sql: "UPDATE escalations SET lease_expires_at = NULL WHERE project_id = ? AND run_id = ? AND lease_expires_at IS NOT NULL AND resume_epoch <= ?",
        args: [projectId, e.runId, e.epoch],
      });
    }
  }
  for (const rows of chunks(legacy, 200)) {
    stmts.push(multiRow("UPDATE escalations SET lease_expires_at = NULL WHERE (project_id, run_id) IN (VALUES ", rows, ") AND lease_expires_at IS NOT NULL"));
  }
  return stmts;
}

/** `escalate` stops the run; a flag and a spot check go on. Only spot checks are a random sample. */
function classify(e: StepEvent): { kind: EscalationKind; blocking: boolean; samplingRate: number | null } {
  if (e.spotCheck) return { kind: "spot_check", blocking: false, samplingRate: e.spotCheck.rate };
  if (e.gate?.outcome === "flag") return { kind: "flag", blocking: false, samplingRate: null };
  return { kind: "escalate", blocking: true, samplingRate: null };
}

/** Contracts as reported; the newest report (by event time) of a step's contract wins. */
function contractStatements(batch: readonly BatchEvent[]): InStatement[] {
  const latest = new Map<string, InValue[]>();
  for (const { projectId, event: e } of batch) {
    if ((e.type !== "step.completed" && e.type !== "step.failed") || !e.contract) continue;
    const k = JSON.stringify([projectId, e.workflow, e.version, e.step]);
    const at = Date.parse(e.time);
    const prev = latest.get(k);
    if (prev && (prev[6] as number) > at) continue;
    latest.set(k, [projectId, e.workflow, e.version, e.step, JSON.stringify(e.contract.jsonSchema), e.contract.vendor ?? null, at]);
  }
  return [...chunks([...latest.values()], 100)].map((rows) =>
    multiRow(
      "INSERT INTO contracts (project_id, workflow, version, step, json_schema, vendor, updated_at) VALUES ",
      rows,
      ` ON CONFLICT (project_id, workflow, version, step) DO UPDATE SET
          json_schema = excluded.json_schema, vendor = excluded.vendor, updated_at = excluded.updated_at
        WHERE excluded.updated_at >= contracts.updated_at`,
    ),
  );
}

/**
 * Step events with an escalation id that neither the store nor an earlier event of the batch
 * has: a step reported twice (two event ids, one escalation) makes one escalation, and one
 * `escalation.created` webhook.
 */
async function newEscalations(tx: Transaction, batch: readonly BatchEvent[]): Promise<Array<{ projectId: string; event: StepEvent }>> {
  const seen = new Set<string>();
  const found: Array<{ projectId: string; event: StepEvent }> = [];
  for (const { projectId, event: e } of batch) {
    if ((e.type !== "step.completed" && e.type !== "step.failed") || !e.escalationId) continue;
    // A golden run's gate is part of what the evaluation measures; nobody is meant to review it.
    if (e.golden) continue;
    const k = `${projectId} ${e.escalationId}`;
    if (seen.has(k)) continue;
    seen.add(k);
    found.push({ projectId, event: e });
  }
  const existing = new Set<string>();
  const byProject = new Map<string, string[]>();
  for (const { projectId, event } of found) byProject.set(projectId, [...(byProject.get(projectId) ?? []), event.escalationId!]);
  for (const [projectId, ids] of byProject) {
    for (const part of chunks(ids, 500)) {
      const rs = await tx.execute({
        sql: `SELECT id FROM escalations WHERE project_id = ? AND id IN (${part.map(() => "?").join(",")})`,
        args: [projectId, ...part],
      });
      for (const r of rs.rows) existing.add(`${projectId} ${String(r[0])}`);
    }
  }
  return found.filter(({ projectId, event }) => !existing.has(`${projectId} ${event.escalationId!}`));
}

/** A step as the packet needs it, from a stored row or from an event of the batch. */
interface StepRecord {
  stepId: string;
  step: string;
  status: "completed" | "failed";
  parents: string[];
  /** JSON text, as stored; parsed only for what the packet keeps. */
  outputText: string | null;
  confidence: number | null;
  cumulative: number | null;
  source: Source;
  stale: boolean;
  flagged: boolean;
  escalationId: string | null;
  startedAt: number;
  endedAt: number;
}

interface BatchIndex {
  /** By `${projectId} ${stepId}`: the latest report of each step in the batch. */
  steps: Map<string, StepRecord>;
  /** By `${projectId} ${runId}`: the batch's steps of that run. */
  runSteps: Map<string, StepRecord[]>;
  runStarted: Map<string, RunStartedEvent>;
}

function indexBatch(batch: readonly BatchEvent[]): BatchIndex {
  const steps = new Map<string, StepRecord>();
  const runIds = new Map<string, string>();
  const runStarted = new Map<string, RunStartedEvent>();
  for (const { projectId, event: e } of batch) {
    if (e.type === "run.started") runStarted.set(`${projectId} ${e.runId}`, e);
    if (e.type !== "step.completed" && e.type !== "step.failed") continue;
    const k = `${projectId} ${e.stepId}`;
    const record = fromEvent(e);
    const prev = steps.get(k);
    // The steps table keeps the latest report of a step, and never moves a step to another run.
    if (prev && (prev.endedAt > record.endedAt || runIds.get(k) !== e.runId)) continue;
    steps.set(k, record);
    runIds.set(k, e.runId);
  }
  const runSteps = new Map<string, StepRecord[]>();
  for (const [k, record] of steps) {
    const projectId = k.slice(0, k.indexOf(" "));
    const runKey = `${projectId} ${runIds.get(k)!}`;
    runSteps.set(runKey, [...(runSteps.get(runKey) ?? []), record]);
  }
  return { steps, runSteps, runStarted };
}

function fromEvent(e: StepEvent): StepRecord {
  return {
    stepId: e.stepId,
    step: e.step,
    status: e.type === "step.completed" ? "completed" : "failed",
    parents: e.parents,
    outputText: e.output === undefined ? null : JSON.stringify(e.output),
    confidence: e.confidence ?? null,
    cumulative: e.cumulative ?? null,
    source: e.source,
    stale: e.stale,
    flagged: e.flagged ?? false,
    escalationId: e.escalationId ?? null,
    startedAt: Date.parse(e.startedAt),
    endedAt: Date.parse(e.time),
  };
}

// A step's parents and output are in the body of its event (runs/step-payload.ts).
const STEP_SELECT = `SELECT s.id, s.name, s.status, s.confidence, s.cumulative, s.source, s.stale, s.flagged, s.escalation_id, s.started_at, s.ended_at,
  ev.body AS event_body FROM steps s ${STEP_EVENT_JOIN}`;

function fromRow(r: Row): StepRecord {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  // An unreadable body just shows no lineage and no output.
  const payload = stepPayload(r.event_body);
  return {
    stepId: idFromStored(r.id),
    step: String(r.name),
    status: r.status === "failed" ? "failed" : "completed",
    parents: payload.parents,
    outputText: payload.outputText,
    confidence: num(r.confidence),
    cumulative: num(r.cumulative),
    source: String(r.source) as Source,
    stale: Number(r.stale) === 1,
    flagged: Number(r.flagged) === 1,
    escalationId: r.escalation_id === null ? null : String(r.escalation_id),
    startedAt: Number(r.started_at),
    endedAt: Number(r.ended_at),
  };
}

async function buildPacket(tx: Transaction, projectId: string, e: StepEvent, index: BatchIndex): Promise<EscalationPacket> {
  const run = await runInfo(tx, projectId, e, index);
  const parents = await lineageParents(tx, projectId, e, index);
  const runSoFar = await earlierSteps(tx, projectId, e, index);
  return {
    input: e.input ?? null,
    output: e.output ?? null,
    confidence: e.confidence ?? null,
    cumulative: e.cumulative ?? null,
    reasoning: e.reasoning ?? null,
    alternatives: e.alternatives ?? null,
    error: e.error ?? null,
    lineage: {
      parents,
      source: e.source,
      observedAt: e.observedAt ?? null,
      maxAgeMs: e.maxAgeMs ?? null,
      stale: e.stale,
      flagged: e.flagged ?? false,
    },
    gate: e.gate ?? null,
    gateKinds: e.gate?.kinds ?? [],
    run,
    runSoFar,
  };
}

async function runInfo(tx: Transaction, projectId: string, e: StepEvent, index: BatchIndex): Promise<EscalationPacket["run"]> {
  const started = index.runStarted.get(`${projectId} ${e.runId}`);
  if (started) return { id: e.runId, key: started.key ?? null, input: started.input ?? null };
  const rs = await tx.execute({
    sql: `SELECT r.key, ${runPayloadColumns("r")} FROM runs r WHERE r.project_key = ${PROJECT_KEY} AND r.id = ?`,
    args: [projectId, e.runId],
  });
  const r = rs.rows[0];
  return { id: e.runId, key: r?.[0] == null ? null : String(r[0]), input: r ? runPayload(r, 1).input : null };
}

async function lineageParents(tx: Transaction, projectId: string, e: StepEvent, index: BatchIndex): Promise<LineageParent[]> {
  const stored = new Map<string, StepRecord>();
  const missing = [...new Set(e.parents)].filter((id) => !index.steps.has(`${projectId} ${id}`));
  for (const part of chunks(missing, 500)) {
    const rs = await tx.execute({
      sql: `${STEP_SELECT} WHERE s.project_key = ${PROJECT_KEY} AND s.id IN (${part.map(() => "?").join(",")})`,
      args: [projectId, ...part.map(storedId)],
    });
    for (const r of rs.rows) stored.set(idFromStored(r.id), fromRow(r));
  }
  return e.parents.map((id): LineageParent => {
    const p = index.steps.get(`${projectId} ${id}`) ?? stored.get(id);
    if (!p) return { stepId: id, found: false };
    return {
      stepId: id,
      found: true,
      step: p.step,
      output: parseJson(p.outputText),
      confidence: p.confidence,
      cumulative: p.cumulative,
      source: p.source,
      stale: p.stale,
      flagged: p.flagged,
    };
  });
}

/**
 * The run so far: the run's steps that ended no later than this one, newest `RUN_SO_FAR_STEPS`
 * of them, in execution order. Outputs are kept newest first until `RUN_SO_FAR_OUTPUT_CHARS`;
 * older ones are listed without, so a long run cannot make a packet of hundreds of megabytes.
 */
async function earlierSteps(tx: Transaction, projectId: string, e: StepEvent, index: BatchIndex): Promise<EscalationPacket["runSoFar"]> {
  const endedAt = Date.parse(e.time);
  const rs = await tx.execute({
    sql: `${STEP_SELECT} WHERE s.project_key = ${PROJECT_KEY} AND s.run_id = ? AND s.ended_at <= ? AND s.id <> ?
          ORDER BY s.ended_at DESC, s.id DESC LIMIT ?`,
    args: [projectId, storedId(e.runId), endedAt, storedId(e.stepId), RUN_SO_FAR_STEPS + 1],
  });
  const byId = new Map<string, StepRecord>();
  for (const r of rs.rows) byId.set(idFromStored(r.id), fromRow(r));
  let truncated = rs.rows.length > RUN_SO_FAR_STEPS;
  for (const s of index.runSteps.get(`${projectId} ${e.runId}`) ?? []) {
    if (s.stepId === e.stepId || s.endedAt > endedAt) continue;
    const prev = byId.get(s.stepId);
    if (!prev || s.endedAt >= prev.endedAt) byId.set(s.stepId, s);
  }
  const newestFirst = [...byId.values()].sort((x, y) => y.endedAt - x.endedAt || (x.stepId < y.stepId ? 1 : -1));
  if (newestFirst.length > RUN_SO_FAR_STEPS) truncated = true;
  const kept = newestFirst.slice(0, RUN_SO_FAR_STEPS);
  let budget = RUN_SO_FAR_OUTPUT_CHARS;
  const views = kept.map((s): RunSoFarStep => {
    const size = s.outputText?.length ?? 0;
    const omit = size > budget;
    if (!omit) budget -= size;
    return {
      stepId: s.stepId,
      step: s.step,
      status: s.status,
      parents: s.parents,
      output: omit ? null : parseJson(s.outputText),
      ...(omit ? { outputOmitted: true as const } : {}),
      confidence: s.confidence,
      cumulative: s.cumulative,
      source: s.source,
      stale: s.stale,
      flagged: s.flagged,
      escalationId: s.escalationId,
      startedAt: new Date(s.startedAt).toISOString(),
      endedAt: new Date(s.endedAt).toISOString(),
    };
  });
  views.sort((x, y) => x.startedAt.localeCompare(y.startedAt) || x.endedAt.localeCompare(y.endedAt) || (x.stepId < y.stepId ? -1 : 1));
  return { steps: views, truncated };
}
