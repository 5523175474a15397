import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AnchorReadError, parseAnchorLine, readExternalCheckpoints } from "./anchors.js";
import { CheckpointSigner, entryHash, GENESIS_HASH } from "./chain.js";
import { runCheckpointJob } from "./checkpoint-job.js";
import type { VerifyReport } from "./report.js";
import { SYSTEM_CHAIN } from "./system-anchor.js";
import { ENTRY_COLUMNS, entryFromRow } from "./store.js";
import { PROJECT_KEY } from "../../platform/db/project-key.js";
import { WebhookDispatcher } from "../webhooks/dispatcher.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";
import { completedRun, postEvents } from "../../../test-support/events-fixtures.js";
import { call } from "../../../test-support/review-fixtures.js";

const signer = new CheckpointSigner("x".repeat(40));
const c = signer.sign({ projectId: "p1", seq: 3, headHash: "a".repeat(64), rootHash: "b".repeat(64), time: 1_750_000_000_000, prevSignature: "" });

describe("checkpoint lines read back from outside the database", () => {
  it("takes a line of the checkpoint file, and a webhook delivery body with its ISO time", () => {
    expect(parseAnchorLine(JSON.stringify(c), "f")).toEqual(c);
    const delivery = { id: "d1", event: "audit.checkpoint", createdAt: "2025-06-15T00:00:00Z", data: { ...c, time: new Date(c.time).toISOString() } };
    expect(parseAnchorLine(JSON.stringify(delivery), "f")).toEqual(c);
    // A receiver may store every delivery it gets: other events are not checkpoints.
    expect(parseAnchorLine(JSON.stringify({ event: "escalation.created", data: {} }), "f")).toBeNull();
    expect(() => parseAnchorLine("{not json", "file line 7")).toThrow(/file line 7: not a JSON line/);
    expect(() => parseAnchorLine(JSON.stringify({ ...c, seq: "3" }), "f")).toThrow(AnchorReadError);
  });

  it("keeps one checkpoint per chain and seq, the signed one where two lines disagree, and reads a file not yet written as empty", async () => {
    const dir = mkdtempSync(join(tmpdir(), "seamtrace-anchors-"));
    try {
      const file = join(dir, "cp.jsonl");
      const forged = { ...c, headHash: "f".repeat(64) };
      writeFileSync(file, [forged, c, c, { ...c, projectId: "p2" }].map((x) => JSON.stringify(x)).join("\n") + "\n\n");
      const read = await readExternalCheckpoints([{ kind: "file", location: file }], signer.publicKey, new Set(["p1"]));
      expect([...read.byProject.keys()]).toEqual(["p1"]);
      expect(read.byProject.get("p1")).toEqual([c]);
      const none = await readExternalCheckpoints([{ kind: "file", location: join(dir, "absent.jsonl") }], signer.publicKey, null);
      expect(none.byProject.size).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * A receiver of `audit.checkpoint` webhooks on 127.0.0.1, as an operator would run one: it keeps
 * each delivery body it is sent, and serves them back as JSON lines (with a token).
 */
async function receiver() {
  const bodies: string[] = [];
  const server: Server = createServer((req, res) => {
    if (req.method === "POST") {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        bodies.push(body);
        res.end("ok");
      });
      return;
    }
    if (req.headers.authorization !== "Bearer anchor-token") return void res.writeHead(401).end();
    res.writeHead(200, { "content-type": "application/x-ndjson" }).end(bodies.map((b) => b + "\n").join(""));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return { port, bodies, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe("the dashboard's verification reads back the checkpoints a webhook receiver collected", () => {
  let ctx: TestContext | undefined;
  let rx: Awaited<ReturnType<typeof receiver>> | undefined;
  afterEach(async () => {
    ctx?.close();
    await rx?.close();
  });

  it("names a rewrite whose checkpoints and anchors were removed from the database", { timeout: 120_000 }, async () => {
    rx = await receiver();
    ctx = await createTestContext({
      SEAMTRACE_WEBHOOK_ALLOW: "127.0.0.1",
      SEAMTRACE_AUDIT_ANCHOR_URL: `http://127.0.0.1:${rx.port}/checkpoints`,
      SEAMTRACE_AUDIT_ANCHOR_TOKEN: "anchor-token",
    });
    const { projectId, key } = await ctx.newProject();
    const admin = await ctx.newUser(projectId, "admin");
    expect(
      (await call(ctx, "POST", "/v1/webhooks", admin, { url: `http://127.0.0.1:${rx.port}/hook`, events: ["audit.checkpoint", "escalation.created"] })).status,
    ).toBe(201);
    await postEvents(ctx, key, { events: completedRun().events });
    const jobs = { store: ctx.store, now: () => Date.now(), config: ctx.config, signer: ctx.deps.auditSigner };
    expect((await runCheckpointJob(jobs)).checkpoints).toBe(1);
    await new WebhookDispatcher(ctx.store, { allow: ctx.config.webhooks.allow }).runOnce();
    expect(rx.bodies).toHaveLength(1);

    const verify = async () => {
      const res = await ctx!.app.request("/v1/audit/verifications", { method: "POST", headers: { cookie: admin.cookie, prefer: "wait=30" } });
      return (await res.json()) as { status: string; report: VerifyReport; error: string | null };
    };
    const clean = await verify();
    expect(clean).toMatchObject({ status: "passed", report: { anchors: { external: { checkpoints: 1 } } } });

    // An entry edited, every hash after it recomputed, the tree the server kept and every
    // checkpoint and anchor in the database removed: the database alone holds nothing to disagree.
    const client = ctx.store.client;
    await client.executeMultiple("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_checkpoints_no_delete; DROP TRIGGER audit_log_no_delete;");
    await client.execute({
      sql: "UPDATE audit_log SET actor = 'user:mallory' WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = 2",
      args: [projectId],
    });
    const rows = await client.execute({
      sql: `SELECT ${ENTRY_COLUMNS} FROM audit_log a WHERE a.project_key = ${PROJECT_KEY} ORDER BY a.seq`,
      args: [projectId],
    });
    let prev = GENESIS_HASH;
    for (const r of rows.rows) {
      prev = entryHash(prev, entryFromRow(projectId, r));
      await client.execute({
        sql: "UPDATE audit_log SET hash = unhex(?) WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?) AND seq = ?",
        args: [prev, projectId, Number(r[0])],
      });
    }
    for (const stmt of [
      "DELETE FROM audit_checkpoints",
      "DELETE FROM audit_trees",
      "DELETE FROM audit_tree_nodes",
      `DELETE FROM audit_log WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = '${SYSTEM_CHAIN}')`,
    ])
      await client.execute(stmt);

    const broken = await verify();
    expect(broken.status).toBe("broken");
    expect(broken.report.firstBad).toMatchObject({ seq: 1, reason: expect.stringMatching(/copy outside the database .* \(chain rewritten\)/) });
  });
});
