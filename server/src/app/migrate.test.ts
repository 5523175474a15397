import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrate } from "drizzle-orm/libsql/migrator";
import { afterEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "../platform/db/client.js";
import { migrateStore, migrationsFolder } from "./migrate.js";

interface Journal {
  entries: Array<{ idx: number; tag: string }>;
}

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A copy of the migrations folder that stops before `tag`: the store as an older release left it. */
function migrationsBefore(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), "seamtrace-migrations-"));
  dirs.push(dir);
  cpSync(migrationsFolder, dir, { recursive: true });
  const path = join(dir, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(path, "utf8")) as Journal;
  const at = journal.entries.findIndex((e) => e.tag === tag);
  expect(at, `${tag} is in the journal`).toBeGreaterThan(0);
  journal.entries = journal.entries.slice(0, at);
  writeFileSync(path, JSON.stringify(journal));
  return dir;
}

async function freshStore(): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), "seamtrace-db-"));
  dirs.push(dir);
  const store = await openStore({ url: `file:${join(dir, "store.db")}`, busyTimeoutMs: 5_000 });
  stores.push(store);
  return store;
}

describe("migrating a store that holds data", () => {
  it("renames escalation.rate to escalation.rate.steps in rules, alerts and values, and keeps every row", async () => {
    const store = await freshStore();
    await migrate(store.db, { migrationsFolder: migrationsBefore("0019_stats_guarantees") });
    const c = store.client;
    await c.batch([
      `INSERT INTO alert_rules (id, project_id, name, metric, op, threshold, created_at, created_by)
         VALUES ('r1', 'p', 'escalations up', 'escalation.rate', 'gt', 0.3, 1, 'user:u'),
                ('r2', 'p', 'ece', 'calibration.ece', 'gt', 0.1, 1, 'user:u')`,
      `INSERT INTO alerts (id, project_id, rule_id, metric, workflow, version, step, status, value, fired_at, updated_at)
         VALUES ('a1', 'p', 'r1', 'escalation.rate', 'wf', 'v1', 'extract', 'firing', 0.41, 2, 2),
                ('a2', 'p', 'r2', 'calibration.ece', 'wf', 'v1', 'extract', 'resolved', 0.2, 2, 3)`,
      `INSERT INTO metrics (project_id, metric, workflow, version, step, at, value)
         VALUES ('p', 'escalation.rate', 'wf', 'v1', 'extract', 100, 0.265),
                ('p', 'escalation.rate', 'wf', 'v1', 'extract', 200, 0.3),
                ('p', 'calibration.ece', 'wf', 'v1', 'extract', 100, 0.05)`,
      `INSERT INTO policies (project_id, workflow, step, min_confidence, target_accuracy, revision, updated_at, updated_by)
         VALUES ('p', 'wf', 'extract', 0.7, 0.95, 3, 1, 'user:u')`,
    ]);

    await migrateStore(store);

    const metrics = async (table: string) =>
      (await c.execute(`SELECT metric, COUNT(*) AS n FROM ${table} GROUP BY metric ORDER BY metric`)).rows.map((r) => [r.metric, Number(r.n)]);
    expect(await metrics("alert_rules")).toEqual([
      ["calibration.ece", 1],
      ["escalation.rate.steps", 1],
    ]);
    expect(await metrics("alerts")).toEqual([
      ["calibration.ece", 1],
      ["escalation.rate.steps", 1],
    ]);
    expect(await metrics("metrics")).toEqual([
      ["calibration.ece", 1],
      ["escalation.rate.steps", 2],
    ]);
    const firing = (await c.execute("SELECT rule_id, status, value, message FROM alerts WHERE id = 'a1'")).rows[0];
    expect({ ...firing }).toEqual({ rule_id: "r1", status: "firing", value: 0.41, message: null });
    const policy = (await c.execute("SELECT min_confidence, target_accuracy, revision, delta, on_unmet, spot_check_near_rate FROM policies")).rows[0];
    expect({ ...policy }).toEqual({ min_confidence: 0.7, target_accuracy: 0.95, revision: 3, delta: null, on_unmet: null, spot_check_near_rate: null });
  });
});
