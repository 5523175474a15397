/**
 * Projector: CPU-bound cost of folding events into runs and steps, per event, on a fresh store
 * and on the same store once it already holds `stored` projected events, in one process run. A
 * ratio near 1 says the projector's cost per event does not grow with what is stored. Also: the
 * cost of appending the same events (event + audit rows, the acknowledged part), so the share of
 * the end-to-end work that projection takes is visible; and the collector's path, each commit
 * appending and projecting its events at once (`foldAppended`), on an empty and on the full
 * store, against appending and then projecting in a pass. In-process, no HTTP: the figures are the
 * database work alone, timed as this process's CPU time (the embedded driver runs SQLite on the
 * calling thread), which other load on a shared machine moves far less than wall time.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrateStore } from "../server/src/app/migrate.js";
import { createProject } from "../server/src/modules/auth/projects-store.js";
import { commitIngestBatches, type FoldAppended } from "../server/src/modules/ingest/store.js";
import { Projector } from "../server/src/modules/runs/projector.js";
import { projectPending } from "../server/src/modules/runs/projection-store.js";
import { openStore, type Store } from "../server/src/platform/db/client.js";
import { makeEvents } from "./ingest.js";
import { fmt, median } from "./stats.js";

const BATCH = 1_000;
const CHUNK = 2_000;

/** CPU milliseconds of this process (user + system), all threads. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Appends `runs` runs' events; with `fold`, each commit also projects them, as the ingest routes do. */
async function append(store: Store, projectId: string, keyId: string, runs: number, fold?: FoldAppended): Promise<{ events: number; ms: number }> {
  const events = makeEvents(runs).flat();
  const t0 = cpuMs();
  for (let i = 0; i < events.length; i += BATCH) {
    await commitIngestBatches(store.client, [{ projectId, keyId, receivedAt: Date.now(), events: events.slice(i, i + BATCH), fold }]);
  }
  return { events: events.length, ms: cpuMs() - t0 };
}

async function project(store: Store): Promise<number> {
  const t0 = cpuMs();
  while ((await projectPending(store.client, CHUNK)).projected > 0);
  return cpuMs() - t0;
}

async function warmUp(runs: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "seamtrace-bench-projector-"));
  const store = await openStore({ url: `file:${join(dir, "w.db")}`, busyTimeoutMs: 5_000 });
  try {
    await migrateStore(store);
    const { id } = await createProject(store.db, "warm-up");
    await append(store, id, "0190f0f0-0000-7000-8000-000000000002", runs);
    await project(store);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchProjector(opts: { runs?: number; stored?: number; rounds?: number } = {}): Promise<Record<string, number>> {
  const runs = opts.runs ?? 3_000;
  const storedRuns = opts.stored ?? 30_000;
  const rounds = opts.rounds ?? 3;
  const fresh: number[] = [];
  const full: number[] = [];
  const appendCost: number[] = [];
  const foldedFresh: number[] = [];
  const foldedFull: number[] = [];
  let events = 0;
  let stored = 0;
  // A throwaway store first: the first pass in a process pays for JIT compilation, which would
  // make the empty store look dearer than the full one.
  await warmUp(runs);
  for (let r = 0; r < rounds; r++) {
    const dir = mkdtempSync(join(tmpdir(), "seamtrace-bench-projector-"));
    const store = await openStore({ url: `file:${join(dir, "p.db")}`, busyTimeoutMs: 5_000 });
    try {
      await migrateStore(store);
      const { id: projectId } = await createProject(store.db, "bench");
      const keyId = "0190f0f0-0000-7000-8000-000000000002";
      // On the empty store.
      const a = await append(store, projectId, keyId, runs);
      events = a.events;
      appendCost.push((a.ms * 1000) / a.events);
      fresh.push(((await project(store)) * 1000) / a.events);
      // Fill, project, then the same number of new events again.
      stored = (await append(store, projectId, keyId, storedRuns)).events + a.events;
      await project(store);
      const b = await append(store, projectId, keyId, runs);
      full.push(((await project(store)) * 1000) / b.events);
      // Appended and projected in one commit each, as the collector does, on the full store.
      const projector = new Projector(store);
      const c = await append(store, projectId, keyId, runs, projector.foldAppended);
      foldedFull.push((c.ms * 1000) / c.events);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
    // And on an empty store.
    const dir2 = mkdtempSync(join(tmpdir(), "seamtrace-bench-projector-"));
    const store2 = await openStore({ url: `file:${join(dir2, "f.db")}`, busyTimeoutMs: 5_000 });
    try {
      await migrateStore(store2);
      const { id: projectId } = await createProject(store2.db, "bench");
      const c = await append(store2, projectId, "0190f0f0-0000-7000-8000-000000000002", runs, new Projector(store2).foldAppended);
      foldedFresh.push((c.ms * 1000) / c.events);
    } finally {
      store2.close();
      rmSync(dir2, { recursive: true, force: true });
    }
  }
  const ratio = median(full.map((x, i) => x / fresh[i]!));
  const share = median(fresh.map((p, i) => appendCost[i]! / (appendCost[i]! + p)));
  // Below 1: folding in the ingest commit costs less than appending, then projecting in a pass.
  const oneCommit = median(foldedFresh.map((f, i) => f / (appendCost[i]! + fresh[i]!)));
  console.log(`Projector (${fmt(events)} new events; in-process, ${rounds} rounds, medians)`);
  console.log(`  append (events + audit), empty store        ${fmt(median(appendCost), 1)} µs CPU/event`);
  console.log(`  project, empty store                        ${fmt(median(fresh), 1)} µs CPU/event`);
  console.log(`  ${`project, ${fmt(stored)} events stored`.padEnd(43)} ${fmt(median(full), 1)} µs CPU/event`);
  console.log(`  append and project in one commit, empty     ${fmt(median(foldedFresh), 1)} µs CPU/event  (the collector's path)`);
  console.log(`  ${`the same, ${fmt(stored + events)} events stored`.padEnd(43)} ${fmt(median(foldedFull), 1)} µs CPU/event`);
  console.log(`projector-stored-vs-empty ratio ${fmt(ratio, 2)}`);
  console.log(`one-commit-vs-append-then-project ratio ${fmt(oneCommit, 2)}`);
  console.log(`append-share-of-end-to-end ratio ${fmt(share, 2)}`);
  return {
    events,
    stored,
    appendMicros: median(appendCost),
    projectMicrosEmpty: median(fresh),
    projectMicrosStored: median(full),
    ratio,
    appendShare: share,
    foldedMicrosEmpty: median(foldedFresh),
    foldedMicrosStored: median(foldedFull),
    oneCommit,
  };
}
