import { createClient } from "@libsql/client";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/src/app/config.js";
import { openStore } from "../../server/src/platform/db/client.js";
import { runCheckpointJob } from "../../server/src/modules/audit/checkpoint-job.js";
import { CheckpointSigner } from "../../server/src/modules/audit/chain.js";
import { createStore, runCli } from "../support/cli.js";

/** `seamtrace audit verify|export` in its own process, against a store on disk. */

let dataDir: string;

function cli(args: string[]) {
  return runCli(args, { dataDir });
}

async function sql(statements: string): Promise<void> {
  const c = createClient({ url: `file:${join(dataDir, "seamtrace.db")}` });
  await c.executeMultiple(statements);
  c.close();
}

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "seamtrace-cli-audit-"));
  await createStore(dataDir);
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

describe("seamtrace audit", () => {
  it("verifies an untouched trail with exit 0, and exits 1 naming the first edited entry", async () => {
    for (const name of ["one", "two", "three"]) expect((await cli(["keys", "create", "--project", "acme", "--create-project", "--name", name])).code).toBe(0);
    const ok = await cli(["audit", "verify", "--project", "acme", "--json"]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual([expect.objectContaining({ project: "acme", ok: true, entries: 4, firstBad: null })]);

    await sql("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'user:mallory' WHERE seq = 3;");
    const broken = await cli(["audit", "verify", "--project", "acme"]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/acme: BROKEN at entry 3: entry 3 does not match its hash/);
    expect(broken.stderr).toMatch(/does not verify/);
  });

  it("catches a tail truncated together with its checkpoints through the exported checkpoint file", async () => {
    for (const name of ["one", "two", "three"]) await cli(["keys", "create", "--project", "acme", "--create-project", "--name", name]);
    const file = join(dataDir, "checkpoints.jsonl");
    const config = loadConfig({ SEAMTRACE_DATA_DIR: dataDir, SEAMTRACE_AUDIT_CHECKPOINT_FILE: file });
    const store = await openStore({ url: config.databaseUrl, busyTimeoutMs: 5_000 });
    expect(await runCheckpointJob({ store, now: () => Date.now(), config, signer: new CheckpointSigner(config.secret) })).toMatchObject({ checkpoints: 1, exported: 1 });
    store.close();
    expect(readFileSync(file, "utf8")).toMatch(/"seq":4/);

    await sql("DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_checkpoints_no_delete; DELETE FROM audit_log WHERE seq > 2; DELETE FROM audit_payloads WHERE seq > 2; DELETE FROM audit_checkpoints;");
    // The database alone looks consistent: its chain is intact, just shorter.
    const alone = await cli(["audit", "verify", "--project", "acme"]);
    expect(alone.code, alone.stdout + alone.stderr).toBe(0);
    const res = await cli(["audit", "verify", "--project", "acme", "--checkpoints", file, "--json"]);
    expect(res.code).toBe(1);
    expect(JSON.parse(res.stdout)[0].firstBad).toMatchObject({ seq: 3, reason: expect.stringMatching(/truncated/) });
  });

  it("exports CSV with a header row and JSONL to a file, and records the export", async () => {
    await cli(["keys", "create", "--project", "acme", "--create-project"]);
    const csv = await cli(["audit", "export", "--project", "acme", "--format", "csv"]);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trim().split("\r\n");
    expect(lines[0]).toBe("seq,time,actor,action,subject,runId,payloadHash,hash,payload");
    expect(lines.slice(1).map((l) => l.split(",")[3])).toEqual(["project.created", "key.created", "audit.exported"]);
    const out = join(dataDir, "audit.jsonl");
    expect((await cli(["audit", "export", "--project", "acme", "--out", out])).code).toBe(0);
    const rows = readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { action: string; actor: string });
    expect(rows.at(-1)).toMatchObject({ action: "audit.exported", actor: "system:cli" });
    expect((await cli(["audit", "export", "--project", "nope"])).code).toBe(1);
    expect((await cli(["audit", "export", "--project", "acme", "--from", "yesterday"])).code).toBe(2);
  });
});
