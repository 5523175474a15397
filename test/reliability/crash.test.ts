/**
 * Crash: eight SDK clients, each its own process, send events while the
 * collector is killed with SIGKILL three times at random points and restarted on the same data
 * folder and port. Afterwards every event acknowledged with a 2xx is in the store exactly once,
 * the database passes `PRAGMA integrity_check`, and `seamtrace audit verify` exits 0.
 *
 * Full form: 8 × 12,500 = 100,000 events. Reduced (inside `npm test`): 8 × 2,000, still three kills.
 */
import { createClient } from "@libsql/client";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { prng } from "../../server/test-support/stream-fixtures.js";
import { runCli } from "../support/cli.js";
import { freePort, rssOf, runScript } from "../support/processes.js";
import { scale, writeSummary } from "../support/reliability.js";
import { spawnServer, type SpawnedServer } from "../support/server.js";
import { idFromStored } from "../../server/src/platform/db/stored-id.js";

const CLIENTS = 8;
const EVENTS_PER_CLIENT = scale(2_000, 12_500);
const KILLS = 3;
// Paced so that making the events takes ~10 s (reduced) / ~25 s (full) whatever the machine's
// speed: the kills need live traffic to land on.
const RATE_PER_CLIENT = scale(200, 500);

interface ClientResult {
  name: string;
  produced: number;
  completed: number;
  acked: string[];
  stats: { sent: number; duplicates: number; rejected: number; droppedTotal: number; dropped: Record<string, number>; retries: number; batches: number };
}

describe("crash: the collector is SIGKILLed three times under eight concurrent SDK clients", () => {
  it(
    "keeps every acknowledged event exactly once, with an intact database and audit chain",
    async () => {
      const seed = Number(process.env.SEAMTRACE_RELIABILITY_SEED ?? Date.now() % 2 ** 31);
      const random = prng(seed);
      const total = CLIENTS * EVENTS_PER_CLIENT;
      // Kill points: fractions of the total acknowledged so far, spread over the run.
      const points = Array.from({ length: KILLS }, () => 0.1 + random() * 0.75).sort((a, b) => a - b);
      const port = await freePort();
      const started = Date.now();
      let server: SpawnedServer = await spawnServer({ env: { PORT: String(port) } });
      const { dataDir, apiKey } = server;
      const endpoint = `http://127.0.0.1:${port}`;
      const collectorRss: number[] = [];
      let peakRss = 0;
      const sampler = setInterval(() => {
        const rss = rssOf(server.proc.pid);
        if (rss !== undefined) peakRss = Math.max(peakRss, rss);
      }, 250);

      try {
        const progress = new Array<number>(CLIENTS).fill(0);
        const clients = Array.from({ length: CLIENTS }, (_, i) =>
          runScript("crash-client.ts", [endpoint, apiKey, String(EVENTS_PER_CLIENT), join(dataDir, `client-${i}.json`), `c${i}`, String(RATE_PER_CLIENT)], {
            onLine: (line) => {
              const m = /^(?:progress|done) (\d+)$/.exec(line);
              if (m) progress[i] = Number(m[1]);
            },
          }),
        );
        let finished = 0;
        const allExited = Promise.all(clients.map((c) => c.exited.then((code) => (finished++, code))));
        const acked = () => progress.reduce((a, b) => a + b, 0);

        const kills: Array<{ atAcked: number; atMs: number; collectorRssBytes: number | undefined; restartMs: number }> = [];
        let restartedAt = 0;
        for (const point of points) {
          // Past its point, and with real traffic since the last restart (not a kill of a collector
          // that has not yet taken a batch).
          const due = () => acked() >= Math.max(point * total, restartedAt + 0.05 * total);
          while (!due() && finished < CLIENTS) await new Promise((r) => setTimeout(r, 20));
          if (finished === CLIENTS) break;
          // A random moment past the threshold, so the kill lands anywhere in a request's life.
          await new Promise((r) => setTimeout(r, random() * 250));
          const atAcked = acked();
          const rss = rssOf(server.proc.pid);
          collectorRss.push(peakRss);
          peakRss = 0;
          await server.stop({ kill: true });
          const t = Date.now();
          server = await spawnServer({ dataDir, env: { PORT: String(port) } });
          kills.push({ atAcked, atMs: t - started, collectorRssBytes: rss, restartMs: Date.now() - t });
          restartedAt = acked();
        }
        const codes = await allExited;
        collectorRss.push(peakRss);
        clearInterval(sampler);
        for (const [i, c] of clients.entries()) expect(codes[i], c.output()).toBe(0);
        expect(kills).toHaveLength(KILLS);
        // The projector folds the log behind ingest, from a cursor that survived the kills: let the
        // last collector catch up (it does once ingest is quiet), then stop it cleanly.
        const live = createClient({ url: `file:${join(dataDir, "seamtrace.db")}` });
        const lagSql = "SELECT (SELECT max(seq) FROM events) - (SELECT position FROM projections WHERE name = 'runs')";
        const caughtUpBy = Date.now() + 120_000;
        while (Number((await live.execute(lagSql)).rows[0]![0]) > 0 && Date.now() < caughtUpBy) await new Promise((r) => setTimeout(r, 200));
        live.close();
        await server.stop();

        const results = clients.map((_, i) => JSON.parse(readFileSync(join(dataDir, `client-${i}.json`), "utf8")) as ClientResult);
        const ackedIds = results.flatMap((r) => r.acked);
        const produced = results.reduce((a, r) => a + r.produced, 0);

        const db = createClient({ url: `file:${join(dataDir, "seamtrace.db")}` });
        const integrity = String((await db.execute("PRAGMA integrity_check")).rows[0]![0]);
        const rows = await db.execute("SELECT id, COUNT(*) AS n FROM events GROUP BY project_key, id");
        const projectionLag = Number((await db.execute(lagSql)).rows[0]![0]);
        const runRows = Number((await db.execute("SELECT COUNT(*) FROM runs WHERE status = 'completed'")).rows[0]![0]);
        const stepRows = Number((await db.execute("SELECT COUNT(*) FROM steps WHERE status = 'completed'")).rows[0]![0]);
        db.close();
        const stored = new Map<string, number>(rows.rows.map((r) => [idFromStored(r.id), Number(r.n)]));
        const missing = ackedIds.filter((id) => stored.get(id) === undefined);
        const repeated = [...stored.values()].filter((n) => n > 1).length;
        const audit = await runCli(["audit", "verify", "--json"], { dataDir, timeoutMs: 120_000 });

        const sum = (f: (r: ClientResult) => number) => results.reduce((a, r) => a + f(r), 0);
        const file = writeSummary("crash", {
          seed,
          clients: CLIENTS,
          eventsProduced: produced,
          kills,
          acknowledged: ackedIds.length,
          acknowledgedDistinct: new Set(ackedIds).size,
          answeredDuplicate: sum((r) => r.stats.duplicates),
          retries: sum((r) => r.stats.retries),
          droppedBySdk: sum((r) => r.stats.droppedTotal),
          storedEvents: stored.size,
          projectionLagAfterCatchUp: projectionLag,
          projectedCompletedRuns: runRows,
          projectedCompletedSteps: stepRows,
          missingAcknowledged: missing.length,
          storedMoreThanOnce: repeated,
          integrityCheck: integrity,
          auditVerifyExit: audit.code,
          collectorPeakRssBytesPerIncarnation: collectorRss,
          durationMs: Date.now() - started,
        });
        console.log(`crash summary: ${file}`);

        expect(missing).toEqual([]);
        expect(repeated).toBe(0);
        expect(integrity).toBe("ok");
        // The projection, rebuilt across the kills from its cursor, shows each run once, completed.
        expect(projectionLag).toBe(0);
        expect(runRows).toBe(produced / 4);
        expect(stepRows).toBe(produced / 2);
        expect(audit.code, audit.stdout + audit.stderr).toBe(0);
        // One report per chain: the project's, and the system chain that anchors every project.
        const reports = JSON.parse(audit.stdout) as Array<{ project: string; ok: boolean }>;
        expect(reports.map((r) => [r.project, r.ok]).sort()).toEqual([
          ["(system)", true],
          ["default", true],
        ]);
        // The clients' backpressure kept drops away and retries outlasted the kills: every event made
        // was acknowledged in the end (so the check above covered all of them).
        expect(sum((r) => r.stats.droppedTotal)).toBe(0);
        expect(new Set(ackedIds).size).toBeGreaterThanOrEqual(produced);
      } finally {
        clearInterval(sampler);
        await server.stop({ kill: true });
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
    scale(600_000, 3_600_000),
  );
});
