import { exportHeader, exportRow, type CorrectionRow, type ExportFormat } from "@seamtrace/golden";
import { Hono } from "hono";
import { correctionsExportQuery, EXPORT_CONTENT_TYPES, exportFileName, type CorrectionsExportQuery, type CorrectionsFilter } from "./contract.js";
import type { AppDeps, AppEnv } from "../../app/deps.js";
import { projected } from "../runs/projected.js";
import { requireAuth } from "../auth/require-auth.js";
import { validate } from "../../platform/http/validate.js";
import { recordAudit } from "../audit/store.js";
import { streamCorrections } from "./store.js";

/**
 * A chunk is sent once it holds this much text (or the rows run out): large enough that
 * enqueueing costs nothing next to the query, small enough that the first bytes leave at once
 * and the stream's one-chunk buffer bounds memory.
 */
export const EXPORT_CHUNK_BYTES = 16 * 1024;

/** The export's filters as recorded in the audit trail: what was taken, by whom (the entry's actor). */
export function exportAuditPayload(format: ExportFormat, f: CorrectionsFilter) {
  const time = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return {
    format,
    workflow: f.workflow ?? null,
    step: f.step ?? null,
    version: f.version ?? null,
    from: time(f.from),
    to: time(f.to),
    include: [...f.include],
  };
}

export function filterOf(q: Omit<CorrectionsExportQuery, "format">): CorrectionsFilter {
  return { workflow: q.workflow, step: q.step, version: q.version, from: q.from, to: q.to, include: q.include };
}

/** Rows as a byte stream in `format`, pulled (and so read from the store) only as fast as the client reads. */
export function exportStream(rows: AsyncGenerator<CorrectionRow>, format: ExportFormat, chunkBytes = EXPORT_CHUNK_BYTES): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let header = exportHeader(format);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk = header;
      header = "";
      while (chunk.length < chunkBytes) {
        const next = await rows.next();
        if (next.done) {
          if (chunk) controller.enqueue(encoder.encode(chunk));
          controller.close();
          return;
        }
        chunk += exportRow(format, next.value);
      }
      controller.enqueue(encoder.encode(chunk));
    },
    async cancel() {
      await rows.return(undefined);
    },
  });
}

/**
 * Correction exports: reviewers' decisions as training data, for admins, analysts and
 * scripts with an API key. Every export is audited with its filters before the first byte leaves.
 */
export function exportsRoutes(deps: AppDeps) {
  return new Hono<AppEnv>().get(
    "/exports/corrections",
    requireAuth(deps, { apiKey: true, roles: ["admin", "analyst"] }),
    validate("query", correctionsExportQuery),
    // Escalations are projected from the event log: export everything acknowledged.
    projected(deps),
    async (c) => {
      const { format, ...q } = c.req.valid("query");
      const { projectId, actor } = c.get("principal");
      const filter = filterOf(q);
      const now = deps.now();
      await recordAudit(deps.store.client, projectId, [
        { time: now, actor, action: "export.corrections", subject: `project:${projectId}`, payload: exportAuditPayload(format, filter) },
      ]);
      const body = exportStream(streamCorrections(deps.store.client, projectId, filter), format);
      return new Response(body, {
        headers: {
          "content-type": EXPORT_CONTENT_TYPES[format],
          "content-disposition": `attachment; filename="${exportFileName(format, now)}"`,
          "cache-control": "no-store",
        },
      });
    },
  );
}
