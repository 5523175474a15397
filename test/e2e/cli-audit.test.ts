import { createClient } from "@libsql/client";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/src/app/config.js";
import { openStore } from "../../server/src/platform/db/client.js";
import { runCheckpointJob } from "../../server/src/modules/audit/checkpoint-job.js";
import { CheckpointSigner } from "../../server/src/modules/audit/chain.js";
import { createCheckpoint } from "../../server/src/modules/audit/checkpoints.js";
import { createStore, runCli } from "../support/cli.js";

/** `seamtrace audit verify|export` in its own process, against a store on disk. */

let dataDir: string;

function cli(args: string[]) {
  return runCli(args, { dataDir });
}

/** acme's report in `audit verify --json` output (the system chain's comes first). */
function acme(stdout: string): { firstBad: unknown } {
  return (JSON.parse(stdout) as Array<{ project: string; firstBad: unknown }>).find((r) => r.project === "acme")!;
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

// Each case runs the CLI several times, a process each.
describe("seamtrace audit", { timeout: 240_000 }, () => {
  it("verifies an untouched trail with exit 0, and exits 1 naming the first edited entry", async () => {
    for (const name of ["one", "two", "three"]) expect((await cli(["keys", "create", "--project", "acme", "--create-project", "--name", name])).code).toBe(0);
    const ok = await cli(["audit", "verify", "--project", "acme", "--json"]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual([
      expect.objectContaining({ project: "(system)", ok: true }),
      expect.objectContaining({ project: "acme", ok: true, entries: 4, firstBad: null }),
    ]);

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
    expect(await runCheckpointJob({ store, now: () => Date.now(), config, signer: new CheckpointSigner(config.secret) })).toMatchObject({
      checkpoints: 1,
      anchors: 1,
      exported: 2,
    });
    store.close();
    expect(readFileSync(file, "utf8")).toMatch(/"seq":4/);

    await sql(
      "DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_checkpoints_no_delete; DELETE FROM audit_log WHERE seq > 2; DELETE FROM audit_payloads WHERE seq > 2; DELETE FROM audit_checkpoints;",
    );
    // The tree the server kept as it appended still says 4 entries were written.
    const kept = await cli(["audit", "verify", "--project", "acme", "--json"]);
    expect(kept.code).toBe(1);
    expect(acme(kept.stdout).firstBad).toMatchObject({ seq: 3, reason: expect.stringMatching(/the server appended 4 \(truncated tail\)/) });
    // With that gone too, the database alone looks consistent: its chain is intact, just shorter.
    await sql("DELETE FROM audit_trees;");
    const alone = await cli(["audit", "verify", "--project", "acme"]);
    expect(alone.code, alone.stdout + alone.stderr).toBe(0);
    const res = await cli(["audit", "verify", "--project", "acme", "--checkpoints", file, "--json"]);
    expect(res.code).toBe(1);
    expect(acme(res.stdout).firstBad).toMatchObject({ seq: 3, reason: expect.stringMatching(/truncated/) });
  });

  it("catches a project deleted with its chain and checkpoints through the system anchor, and names it", async () => {
    await cli(["keys", "create", "--project", "acme", "--create-project"]);
    await cli(["keys", "create", "--project", "globex", "--create-project"]);
    const config = loadConfig({ SEAMTRACE_DATA_DIR: dataDir });
    const store = await openStore({ url: config.databaseUrl, busyTimeoutMs: 5_000 });
    expect(await runCheckpointJob({ store, now: () => Date.now(), config, signer: new CheckpointSigner(config.secret) })).toMatchObject({
      checkpoints: 2,
      anchors: 1,
    });
    store.close();
    // The audit log names the project by its key in the store (project-key.ts).
    await sql(`DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_checkpoints_no_delete;
      DELETE FROM audit_log WHERE project_key = (SELECT k.project_key FROM project_keys k JOIN projects p ON p.id = k.project_id WHERE p.name = 'globex');
      DELETE FROM audit_payloads WHERE project_key = (SELECT k.project_key FROM project_keys k JOIN projects p ON p.id = k.project_id WHERE p.name = 'globex');
      DELETE FROM audit_checkpoints WHERE project_id = (SELECT id FROM projects WHERE name = 'globex');
      DELETE FROM audit_trees WHERE project_id = (SELECT id FROM projects WHERE name = 'globex');
      DELETE FROM api_keys WHERE project_id = (SELECT id FROM projects WHERE name = 'globex');
      DELETE FROM projects WHERE name = 'globex';`);
    const res = await cli(["audit", "verify"]);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^\(system\): ok/m);
    expect(res.stdout).toMatch(/^acme: ok/m);
    expect(res.stdout).toMatch(
      /^\(deleted\) [0-9a-f-]{36}: BROKEN at entry 1: entries 1–2 are missing: the system anchor signed at .* lists 2 entries \(truncated tail\)/m,
    );
  });

  it("proves an entry against a signed checkpoint, checked with the public key alone; and two checkpoints consistent", async () => {
    for (const name of ["one", "two", "three"]) await cli(["keys", "create", "--project", "acme", "--create-project", "--name", name]);
    const config = loadConfig({ SEAMTRACE_DATA_DIR: dataDir });
    const store = await openStore({ url: config.databaseUrl, busyTimeoutMs: 5_000 });
    const signer = new CheckpointSigner(config.secret);
    const project = (await store.client.execute("SELECT id FROM projects WHERE name = 'acme'")).rows[0]![0] as string;
    expect(await createCheckpoint(store.client, project, signer, Date.now())).toMatchObject({ seq: 4 });
    store.close();
    await cli(["keys", "create", "--project", "acme", "--name", "four"]);
    const store2 = await openStore({ url: config.databaseUrl, busyTimeoutMs: 5_000 });
    expect(await createCheckpoint(store2.client, project, signer, Date.now())).toMatchObject({ seq: 5 });
    store2.close();

    const proof = join(dataDir, "entry-3.proof.json");
    expect((await cli(["audit", "prove", "3", "--project", "acme", "--out", proof])).code).toBe(0);
    expect(statSync(proof).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(proof, "utf8"))).toMatchObject({
      kind: "seamtrace.audit.inclusion",
      entry: { seq: 3, action: "key.created" },
      treeSize: 4,
      checkpoint: { seq: 4 },
    });
    const keyFile = join(dataDir, "public-key.json");
    writeFileSync(keyFile, JSON.stringify({ algorithm: "Ed25519", keyId: signer.keyId, publicKey: signer.publicKeyRaw }));
    // No database: the checker runs in an empty folder of its own.
    const elsewhere = mkdtempSync(join(tmpdir(), "seamtrace-auditor-"));
    try {
      const ok = await runCli(["audit", "check-proof", proof, "--key", `@${keyFile}`], { dataDir: elsewhere });
      expect(ok.code, ok.stdout + ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/ok — entry 3 of project .* is in the chain the checkpoint at entry 4 signed/);
      expect(readdirSync(elsewhere)).toEqual([]);
      // An edited payload, or another key, does not pass.
      const forged = JSON.parse(readFileSync(proof, "utf8")) as { payload: string };
      forged.payload = forged.payload.replace(/"name":"[^"]*"/, `"name":"mallory"`);
      writeFileSync(join(elsewhere, "forged.json"), JSON.stringify(forged));
      const bad = await runCli(["audit", "check-proof", join(elsewhere, "forged.json"), "--key", signer.publicKeyRaw], { dataDir: elsewhere });
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/NOT PROVEN: the payload does not match/);
      const other = new CheckpointSigner("another server's secret, long enough to use");
      expect((await runCli(["audit", "check-proof", proof, "--key", other.publicKeyRaw], { dataDir: elsewhere })).code).toBe(1);

      // A payload the store no longer holds as it was (retention's `final` reduces event bodies;
      // here it is edited): the proof leaves it out, says so, and still checks.
      await sql("UPDATE audit_payloads SET body = '{\"reduced\":true}' WHERE seq = 3");
      const reduced = join(dataDir, "entry-3-reduced.proof.json");
      const proved = await cli(["audit", "prove", "3", "--project", "acme", "--out", reduced]);
      expect(proved.code).toBe(0);
      expect(proved.stderr).toMatch(/payload of entry 3 no longer matches its hash .* leaves it out/);
      expect(JSON.parse(readFileSync(reduced, "utf8"))).toMatchObject({ entry: { seq: 3 }, payload: null });
      const still = await runCli(["audit", "check-proof", reduced, "--key", signer.publicKeyRaw], { dataDir: elsewhere });
      expect(still.code, still.stdout + still.stderr).toBe(0);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }

    const consistency = await cli(["audit", "prove-consistency", "4", "5", "--project", "acme"]);
    expect(consistency.code).toBe(0);
    writeFileSync(join(dataDir, "c.json"), consistency.stdout);
    const checked = await cli(["audit", "check-proof", join(dataDir, "c.json"), "--key", signer.publicKeyRaw, "--json"]);
    expect(JSON.parse(checked.stdout)).toMatchObject({ ok: true, kind: "seamtrace.audit.consistency", seq: 4, checkpoint: 5 });
    // An entry no checkpoint covers yet cannot be proven: exit 1, saying so.
    await cli(["keys", "create", "--project", "acme", "--name", "five"]);
    const none = await cli(["audit", "prove", "6", "--project", "acme"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no checkpoint with a tree head covers entry 6/);
    expect((await cli(["audit", "prove", "zero", "--project", "acme"])).code).toBe(2);
  });

  it("exports CSV with a header row and JSONL to a file, and records the export", async () => {
    await cli(["keys", "create", "--project", "acme", "--create-project"]);
    const csv = await cli(["audit", "export", "--project", "acme", "--format", "csv"]);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trim().split("\r\n");
    expect(lines[0]).toBe("seq,time,actor,action,subject,runId,payloadHash,hash,payload,payloadIntact");
    expect(lines.slice(1).map((l) => l.split(",")[3])).toEqual(["project.created", "key.created", "audit.exported"]);
    const out = join(dataDir, "audit.jsonl");
    expect((await cli(["audit", "export", "--project", "acme", "--out", out])).code).toBe(0);
    const rows = readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { action: string; actor: string });
    expect(rows.at(-1)).toMatchObject({ action: "audit.exported", actor: "system:cli" });
    expect((await cli(["audit", "export", "--project", "nope"])).code).toBe(1);
    expect((await cli(["audit", "export", "--project", "acme", "--from", "yesterday"])).code).toBe(2);
  });
});
