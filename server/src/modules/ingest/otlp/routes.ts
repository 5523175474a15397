import { Hono, type Context, type MiddlewareHandler } from "hono";
import type { AppDeps, AppEnv } from "../../../app/deps.js";
import { AppError, badRequest, unsupportedMediaType } from "../../../platform/http/errors.js";
import { checkJsonLimits } from "../../../platform/http/json-limits.js";
import { parseJsonBody, readBody } from "../../../platform/http/body.js";
import { issueDetails } from "../../../platform/http/validate.js";
import { recordIngest } from "../../../platform/metrics.js";
import { requireApiKey } from "../../auth/api-key-auth.js";
import { listPolicies } from "../../policies/store.js";
import { storeFailure } from "../routes.js";
import { ingestWriter, type IngestOutcome } from "../store.js";
import { otlpLogsRequestSchema, otlpTraceRequestSchema, type OtlpLogsResponse, type OtlpTraceResponse } from "./contract.js";
import { mapLogsRequest, storeRecords } from "./logs.js";
import { mapTraceRequest, rawDepth } from "./map-spans.js";
import { policyIndex } from "./policy-index.js";
import { decodeLogsRequest, decodeTraceRequest, encodeLogsResponse, encodeStatus, encodeTraceResponse, OtlpDecodeError } from "./proto.js";
import { ingestSpans } from "./trace-store.js";

type Encoding = "json" | "protobuf";
const PROTOBUF = "application/x-protobuf";
/** Messages listed in a partial-success answer; the count covers the rest. */
const SHOWN_ERRORS = 5;

/**
 * OTLP/HTTP ingest: any OpenTelemetry exporter can point here. Spans are drafted one by one
 * (otlp/span-draft.ts) and stored with their trace in the ingest write transaction, where each
 * span settles into a step event once what it depends on has arrived (otlp/settle.ts); those
 * events take the same path as `POST /v1/events` (the event log, audit, projection). Log records
 * carrying GenAI events attach to their span's step (otlp/logs.ts). The answer is OTLP's: empty on
 * success, `partialSuccess` naming how many items were rejected and why, in the request's
 * encoding. Errors are Seamtrace's JSON envelope for JSON requests and a google.rpc.Status for
 * protobuf ones, as OTLP/HTTP requires.
 */
export function tracesRoutes(deps: AppDeps) {
  const limits = deps.config.limits;
  const otlp = deps.config.otlp;
  const writer = ingestWriter(deps.store);
  const auth = requireApiKey(deps);

  async function readRequest(c: Context<AppEnv>, decodeProtobuf: (bytes: Uint8Array) => unknown, what: string): Promise<{ raw: unknown; encoding: Encoding }> {
    const encoding = encodingOf(c.req.header("content-type"));
    if (!c.get("principal").keyId) throw new AppError(401, "unauthorized", "ingest takes a project API key");
    const bytes = await readBody(c.req.raw, { maxBytes: otlp.maxBodyBytes });
    if (encoding === "json") return { raw: parseJsonBody(bytes), encoding };
    try {
      return { raw: decodeProtobuf(bytes), encoding };
    } catch (err) {
      if (err instanceof OtlpDecodeError) throw badRequest("invalid_otlp", `the body is not an OTLP ${what}: ${err.message}`);
      throw err;
    }
  }

  return (
    new Hono<AppEnv>()
      .post("/traces", protobufErrors, auth, async (c) => {
        const { raw, encoding } = await readRequest(c, decodeTraceRequest, "ExportTraceServiceRequest");
        const { projectId, keyId } = c.get("principal");
        checkEnvelopeDepth(raw, "resourceSpans", limits);
        const parsed = otlpTraceRequestSchema.safeParse(raw);
        if (!parsed.success) throw invalidEnvelope(parsed.error, "trace");
        const count = (parsed.data.resourceSpans ?? []).reduce((n, rs) => n + (rs.scopeSpans ?? []).reduce((m, ss) => m + (ss.spans?.length ?? 0), 0), 0);
        if (count > otlp.maxItems)
          throw new AppError(413, "too_many_spans", `a request holds at most ${otlp.maxItems} spans, got ${count}`, { maxItems: otlp.maxItems });

        const mapped = mapTraceRequest(parsed.data, limits);
        let settled = 0;
        if (mapped.spans.length > 0) {
          const ruleFor = policyIndex(await listPolicies(deps.store.db, projectId));
          const now = deps.now();
          let stored: IngestOutcome;
          try {
            stored = await writer.submit({
              projectId,
              keyId: keyId!,
              receivedAt: now,
              events: [],
              weight: mapped.spans.length,
              fold: deps.projector.foldAppended,
              prepare: (tx) => ingestSpans(tx, projectId, keyId!, now, mapped.spans, { ruleFor, idleCloseMs: otlp.idleCloseMs }),
            });
          } catch (err) {
            throw storeFailure(err);
          }
          settled = stored.reduce((n, s) => n + (s === "accepted" ? 1 : 0), 0);
          deps.projector.notify();
        }
        recordIngest("otlp", { accepted: settled, duplicate: 0, rejectedCodes: mapped.errors.map(() => "invalid_span") });

        const body: OtlpTraceResponse = {};
        if (mapped.rejected > 0) body.partialSuccess = { rejectedSpans: mapped.rejected, errorMessage: summary(mapped.errors) };
        if (encoding === "json") return c.json(body, 200);
        return c.body(encodeTraceResponse(body) as Uint8Array<ArrayBuffer>, 200, { "Content-Type": PROTOBUF });
      })
      .post("/logs", protobufErrors, auth, async (c) => {
        const { raw, encoding } = await readRequest(c, decodeLogsRequest, "ExportLogsServiceRequest");
        const { projectId, keyId } = c.get("principal");
        checkEnvelopeDepth(raw, "resourceLogs", limits);
        const parsed = otlpLogsRequestSchema.safeParse(raw);
        if (!parsed.success) throw invalidEnvelope(parsed.error, "logs");
        const count = (parsed.data.resourceLogs ?? []).reduce((n, rl) => n + (rl.scopeLogs ?? []).reduce((m, sl) => m + (sl.logRecords?.length ?? 0), 0), 0);
        if (count > otlp.maxItems)
          throw new AppError(413, "too_many_log_records", `a request holds at most ${otlp.maxItems} log records, got ${count}`, { maxItems: otlp.maxItems });

        const mapped = mapLogsRequest(parsed.data, limits);
        if (mapped.records.length > 0) {
          const now = deps.now();
          try {
            await writer.submit({
              projectId,
              keyId: keyId!,
              receivedAt: now,
              events: [],
              weight: mapped.records.length,
              prepare: async (tx) => {
                await storeRecords(tx, projectId, now, mapped.records);
                return [];
              },
            });
          } catch (err) {
            throw storeFailure(err);
          }
        }
        const body: OtlpLogsResponse = {};
        if (mapped.rejected > 0) body.partialSuccess = { rejectedLogRecords: mapped.rejected, errorMessage: summary(mapped.errors) };
        if (encoding === "json") return c.json(body, 200);
        return c.body(encodeLogsResponse(body) as Uint8Array<ArrayBuffer>, 200, { "Content-Type": PROTOBUF });
      })
      // Reached only by methods other than POST (the POST handlers answer first).
      .all("/traces", methodNotAllowed)
      .all("/logs", methodNotAllowed)
  );
}

function methodNotAllowed(c: Context<AppEnv>): never {
  throw new AppError(405, "method_not_allowed", `${c.req.path} takes POST (OTLP/HTTP export), not ${c.req.method}`, undefined, { Allow: "POST" });
}

/**
 * OTLP/HTTP answers a protobuf request's errors with a protobuf google.rpc.Status, so an exporter
 * can read why: the JSON error the app renders (auth, limits, a busy store) is re-encoded here,
 * keeping its status and headers (Retry-After).
 */
const protobufErrors: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  if (c.res.status < 400 || encodingOf(c.req.header("content-type"), false) !== "protobuf") return;
  const status = c.res.status;
  const rendered = (await c.res
    .clone()
    .json()
    .catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  const message = rendered?.error?.message ? `${rendered.error.code ?? "error"}: ${rendered.error.message}` : `HTTP ${status}`;
  const headers = new Headers(c.res.headers);
  headers.delete("content-length");
  headers.set("content-type", PROTOBUF);
  c.res = undefined;
  c.res = new Response(encodeStatus(status, message) as Uint8Array<ArrayBuffer>, { status, headers });
};

/** OTLP/HTTP's two encodings; anything else is refused before the body is read. */
function encodingOf(header: string | undefined, strict = true): Encoding {
  const type = (header ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/json") return "json";
  if (type === PROTOBUF || type === "application/protobuf") return "protobuf";
  if (!strict) return "json";
  throw unsupportedMediaType("unsupported_media_type", `send OTLP as application/json or ${PROTOBUF}, not "${header ?? ""}"`);
}

function invalidEnvelope(error: Parameters<typeof issueDetails>[0], signal: string): AppError {
  const issues = issueDetails(error);
  return badRequest("invalid_otlp", `the body is not an OTLP ${signal} request: ${issues[0]?.path.join(".") ?? ""} ${issues[0]?.message ?? ""}`.trim(), issues);
}

/**
 * Resources are validated with the envelope; their nesting is bounded first, so the validator
 * never walks a hostile depth. Long values are cut later, not refused.
 */
function checkEnvelopeDepth(raw: unknown, field: "resourceSpans" | "resourceLogs", limits: { maxDepth: number; maxStringLength: number }): void {
  const list = (raw as Record<string, unknown> | null)?.[field];
  if (!Array.isArray(list)) return;
  for (const r of list) {
    const resource = (r as { resource?: unknown } | null)?.resource;
    if (resource === undefined) continue;
    const violation = checkJsonLimits(resource, { maxStringLength: Number.MAX_SAFE_INTEGER, maxDepth: rawDepth(limits) });
    if (violation) throw badRequest(violation.code, `a resource: ${violation.message}`);
  }
}

function summary(errors: readonly string[]): string {
  const shown = errors.slice(0, SHOWN_ERRORS).join("; ");
  return errors.length > SHOWN_ERRORS ? `${shown} (and ${errors.length - SHOWN_ERRORS} more)` : shown;
}
