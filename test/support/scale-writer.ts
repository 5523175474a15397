/**
 * A child process of test/support/scale-store.ts: writes one segment of generated runs into a
 * store through the collector's own code, then exits — which is what gives back the native memory
 * the embedded libsql driver keeps per row written (~1 KB, tursodatabase/libsql-client-ts#333).
 *
 *   segment <dataDir> <runs> <from> <to> <end> <seed> <rollup 0|1>
 *     runs [from, to) of `runs`: every event checked by the ingest contract (acceptsAsIs, what
 *     POST /v1/events takes as it is), appended by commitIngestBatches (events + audit entries,
 *     group commits of 2,000), folded by projectPending (runs, steps, escalations with packets),
 *     older escalations decided by decideEscalation (labels, audit), late feedback through
 *     insertFeedbackLabels; then, with rollup=1, the rollup job as the scheduler runs it.
 *   jobs <dataDir> <now> <job,...>
 *     runs each job once, in order, and prints {job: {ms, rowsRead}}.
 *   checkpoint <dataDir>
 *     PRAGMA wal_checkpoint(TRUNCATE).
 *
 * Prints one JSON line on stdout.
 */
import type { SeamtraceEvent } from "@seamtrace/sdk";
import { loadConfig } from "../../server/src/app/config.js";
import { acceptsAsIs } from "../../server/src/modules/ingest/contract.js";
import { openStore, type Store } from "../../server/src/platform/db/client.js";
import { silentLogger } from "../../server/src/app/logger.js";
import { JOBS } from "../../server/src/app/jobs.js";
import { Scheduler, type FinishedRun } from "../../server/src/modules/jobs/scheduler.js";
import { decideEscalation } from "../../server/src/modules/review/decision-store.js";
import { commitIngestBatches, type IngestBatch } from "../../server/src/modules/ingest/store.js";
import { insertFeedbackLabels } from "../../server/src/modules/review/labels-store.js";
import { projectPending } from "../../server/src/modules/runs/projection-store.js";
import { generateRun, type GeneratedRun } from "./scale-data.js";

const EVENTS_PER_REQUEST = 500;
const REQUESTS_PER_COMMIT = 4;
const PROJECTION_CHUNK = 2_000;
/** Events ingested between projection passes (the projector's catch-up under load). */
const PROJECT_EVERY = 20_000;

const [cmd, dataDir, ...rest] = process.argv.slice(2);
if (!cmd || !dataDir) throw new Error("usage: scale-writer.ts segment|jobs|checkpoint <dataDir> …");
const config = loadConfig({ SEAMTRACE_DATA_DIR: dataDir });
const store = await openStore({ url: config.databaseUrl, busyTimeoutMs: 60_000 });
try {
  if (cmd === "segment") {
    const [runs, from, to, end, seed, rollup] = rest.map(Number) as [number, number, number, number, number, number];
    console.log(JSON.stringify(await writeSegment(store, { runs, from, to, end, seed, rollup: rollup === 1 })));
  } else if (cmd === "jobs") {
    const now = Number(rest[0]);
    const scheduler = new Scheduler({ store, config, log: silentLogger, now: () => now }, JOBS, { leaseMs: 3_600_000 });
    const out: Record<string, { ms: number; rowsRead: number | null }> = {};
    for (const job of rest[1]!.split(",")) {
      const t0 = performance.now();
      const r = (await scheduler.run(job as never, { trigger: "manual", actor: "cli" })) as FinishedRun;
      if (r.outcome !== "ok") throw new Error(`${job} failed: ${r.error}`);
      out[job] = { ms: performance.now() - t0, rowsRead: r.rowsRead };
    }
    console.log(JSON.stringify(out));
  } else if (cmd === "checkpoint") {
    const rs = await store.client.execute("PRAGMA wal_checkpoint(TRUNCATE)");
    console.log(JSON.stringify({ checkpoint: rs.rows[0] ? Array.from(rs.rows[0]) : null }));
  } else {
    throw new Error(`unknown command ${cmd}`);
  }
} finally {
  store.close();
}

interface Ids {
  projectId: string;
  keyId: string;
  reviewerId: string;
}

async function ids(s: Store): Promise<Ids> {
  const p = await s.client.execute("SELECT id FROM projects WHERE name = 'default'");
  const projectId = String(p.rows[0]![0]);
  const k = await s.client.execute({ sql: "SELECT id FROM api_keys WHERE project_id = ? ORDER BY created_at LIMIT 1", args: [projectId] });
  const u = await s.client.execute({ sql: "SELECT id FROM users WHERE project_id = ? AND role = 'reviewer' LIMIT 1", args: [projectId] });
  return { projectId, keyId: String(k.rows[0]![0]), reviewerId: String(u.rows[0]![0]) };
}

async function project(s: Store, now: number): Promise<void> {
  for (;;) {
    const { projected } = await projectPending(s.client, PROJECTION_CHUNK, now);
    if (projected < PROJECTION_CHUNK) return;
  }
}

async function writeSegment(
  s: Store,
  o: { runs: number; from: number; to: number; end: number; seed: number; rollup: boolean },
): Promise<Record<string, number>> {
  const id = await ids(s);
  const counts = { runs: 0, events: 0, stepEvents: 0, escalations: 0, decisions: 0, feedback: 0, ms: 0, ingestMs: 0, projectMs: 0, reviewMs: 0, rollupMs: 0 };
  const t0 = performance.now();
  let pending: SeamtraceEvent[] = [];
  let generated: GeneratedRun[] = [];
  let sinceProjection = 0;
  let lastTime = 0;

  const commit = async (events: SeamtraceEvent[]) => {
    const batches: IngestBatch[] = [];
    for (let i = 0; i < events.length; i += EVENTS_PER_REQUEST) {
      const part = events.slice(i, i + EVENTS_PER_REQUEST);
      const receivedAt = Date.parse(part[part.length - 1]!.time) + 400;
      batches.push({ projectId: id.projectId, keyId: id.keyId, receivedAt, events: part });
    }
    const ti = performance.now();
    const outcomes = await commitIngestBatches(s.client, batches);
    counts.ingestMs += performance.now() - ti;
    const stored = outcomes.flat().filter((o) => o === "accepted").length;
    if (stored !== events.length) throw new Error(`ingest stored ${stored} of ${events.length} events`);
    sinceProjection += events.length;
  };

  // Reviews and feedback come after the projection made the escalations and steps they name.
  const review = async () => {
    const tp = performance.now();
    await project(s, lastTime);
    const tr = performance.now();
    counts.projectMs += tr - tp;
    sinceProjection = 0;
    const feedback = [];
    for (const g of generated) {
      for (const e of g.escalations) {
        if (!e.decision) continue;
        const r = await decideEscalation(s.client, {
          projectId: id.projectId,
          id: e.id,
          userId: id.reviewerId,
          decision: e.decision,
          output: e.decision === "correct" ? "corrected by review" : undefined,
          reason: "checked against the claim file",
          now: e.time + 1_800_000,
        });
        if (r.status !== "settled") throw new Error(`decision on ${e.id}: ${r.status}`);
        counts.decisions++;
      }
      if (g.feedback) feedback.push(g.feedback);
    }
    if (feedback.length > 0) {
      const out = await insertFeedbackLabels(s.client, {
        projectId: id.projectId,
        actor: `sdk:${id.keyId}`,
        now: feedback[feedback.length - 1]!.time,
        items: feedback.map((f) => ({ runId: f.runId, stepId: f.stepId, correct: f.correct })),
      });
      if (out.some((x) => !("id" in x))) throw new Error("feedback refused");
      counts.feedback += feedback.length;
    }
    generated = [];
    counts.reviewMs += performance.now() - tr;
  };

  for (let i = o.from; i < o.to; i++) {
    const g = generateRun(i, o.runs, o.end, o.seed);
    for (const e of g.events as unknown[])
      if (!acceptsAsIs(e)) throw new Error(`generated event ${JSON.stringify(e).slice(0, 200)} is not what ingest accepts as it is`);
    counts.runs++;
    counts.events += g.events.length;
    counts.stepEvents += g.stepEvents;
    counts.escalations += g.escalations.length;
    pending.push(...g.events);
    generated.push(g);
    lastTime = Date.parse(g.events[g.events.length - 1]!.time);
    if (pending.length >= EVENTS_PER_REQUEST * REQUESTS_PER_COMMIT) {
      await commit(pending);
      pending = [];
      if (sinceProjection >= PROJECT_EVERY) await review();
    }
  }
  if (pending.length > 0) await commit(pending);
  await review();
  if (o.rollup) {
    const tu = performance.now();
    const scheduler = new Scheduler({ store: s, config, log: silentLogger, now: () => lastTime + 600_000 }, JOBS, { leaseMs: 3_600_000 });
    const r = (await scheduler.run("rollup", { trigger: "manual", actor: "cli" })) as FinishedRun;
    if (r.outcome !== "ok") throw new Error(`rollup failed: ${r.error}`);
    counts.rollupMs += performance.now() - tu;
  }
  for (const k of ["ingestMs", "projectMs", "reviewMs", "rollupMs"] as const) counts[k] = Math.round(counts[k]);
  counts.ms = Math.round(performance.now() - t0);
  return counts;
}
