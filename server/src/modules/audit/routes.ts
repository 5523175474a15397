import { Hono } from "hono";
import {
  auditExportQuery,
  auditListQuery,
  encodeAuditCursor,
  preferredWaitMs,
  verificationId,
  verificationListQuery,
  type AuditListResponse,
  type AuditVerificationList,
} from "./contract.js";
import { notFound } from "../../platform/http/errors.js";
import type { AppDeps, AppEnv } from "../../app/deps.js";
import { requireAuth } from "../auth/require-auth.js";
import { validate } from "../../platform/http/validate.js";
import { lastCheckpoints, recordAudit } from "./store.js";
import { csvRow, CSV_COLUMNS, listAudit, streamAudit } from "./query-store.js";

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The audit trail: search, streamed export, background verification and the checkpoint key.
 * Reviewers may read entries (the run page shows them); exporting and verifying is for admins
 * and analysts, and scripts with an API key.
 */
export function auditRoutes(deps: AppDeps) {
  const readers = requireAuth(deps, { apiKey: true, roles: ["admin", "analyst", "reviewer"] });
  const auditors = requireAuth(deps, { apiKey: true, roles: ["admin", "analyst"] });
  const now = () => deps.now();

  return new Hono<AppEnv>()
    .get("/audit", readers, validate("query", auditListQuery(now)), async (c) => {
      const q = c.req.valid("query");
      const page = await listAudit(deps.store.db, c.get("principal").projectId, { ...q, before: q.cursor });
      const body: AuditListResponse = {
        items: page.items,
        nextCursor: page.last === null ? null : encodeAuditCursor(page.last),
        window: { from: iso(q.window.from), to: iso(q.window.to) },
      };
      return c.json(body);
    })
    .get("/audit/export", auditors, validate("query", auditExportQuery(now)), async (c) => {
      const q = c.req.valid("query");
      const { projectId, actor } = c.get("principal");
      // Exports are themselves audited, before the first byte leaves.
      await recordAudit(deps.store.client, projectId, [
        {
          time: deps.now(),
          actor,
          action: "audit.exported",
          subject: `project:${projectId}`,
          payload: {
            format: q.format,
            runId: q.runId ?? null,
            actor: q.actor ?? null,
            action: q.action ?? null,
            from: iso(q.window.from),
            to: iso(q.window.to),
          },
        },
      ]);
      const rows = streamAudit(deps.store.db, projectId, q);
      const encoder = new TextEncoder();
      let header = q.format === "csv";
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          let chunk = header ? CSV_COLUMNS.join(",") + "\r\n" : "";
          header = false;
          // ~200 rows a chunk: few enough enqueues to be cheap, small enough to stream.
          for (let i = 0; i < 200; i++) {
            const next = await rows.next();
            if (next.done) {
              if (chunk) controller.enqueue(encoder.encode(chunk));
              controller.close();
              return;
            }
            chunk += q.format === "csv" ? csvRow(next.value) : JSON.stringify(next.value) + "\n";
          }
          controller.enqueue(encoder.encode(chunk));
        },
        async cancel() {
          await rows.return(undefined);
        },
      });
      const type = q.format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson";
      return new Response(body, {
        headers: {
          "content-type": type,
          "content-disposition": `attachment; filename="seamtrace-audit-${iso(deps.now()).slice(0, 10)}.${q.format}"`,
          "cache-control": "no-store",
        },
      });
    })
    .post("/audit/verifications", auditors, async (c) => {
      // Started (or joined) and answered at once: the walk is linear in the chain and runs in
      // the background. `Prefer: wait=N` waits up to N seconds for the outcome (small chains).
      const { projectId, actor } = c.get("principal");
      const waitMs = preferredWaitMs(c.req.header("prefer"));
      const { verification } = await deps.verifier.start(projectId, actor);
      const v = waitMs > 0 ? ((await deps.verifier.get(projectId, verification.id, waitMs)) ?? verification) : verification;
      c.header("location", `/v1/audit/verifications/${v.id}`);
      if (waitMs > 0) c.header("preference-applied", `wait=${waitMs / 1000}`);
      return c.json(v, v.status === "running" ? 202 : 200);
    })
    .get("/audit/verifications", auditors, validate("query", verificationListQuery), async (c) => {
      const body: AuditVerificationList = { items: await deps.verifier.list(c.get("principal").projectId, c.req.valid("query").limit) };
      return c.json(body);
    })
    .get("/audit/verifications/:id", auditors, validate("param", verificationId), async (c) => {
      const v = await deps.verifier.get(c.get("principal").projectId, c.req.valid("param").id);
      if (!v) throw notFound("verification");
      return c.json(v);
    })
    .get("/audit/checkpoints", auditors, async (c) => {
      const items = await lastCheckpoints(deps.store.db, c.get("principal").projectId, 100);
      return c.json({ items: items.map((cp) => ({ ...cp, time: iso(cp.time) })) });
    })
    .get("/audit/public-key", readers, (c) =>
      c.json({ algorithm: "Ed25519", keyId: deps.auditSigner.keyId, publicKey: deps.auditSigner.publicKeyRaw, format: "base64url raw (JWK x)" }),
    );
}
