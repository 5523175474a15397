import type { PolicyRule } from "@seamtrace/sdk";
import { mergeRules } from "@seamtrace/sdk";
import { Hono } from "hono";
import type { Limits } from "../../../app/config.js";
import { checkJsonLimits } from "../../../platform/http/json-limits.js";
import { otlpTraceRequestSchema, type OtlpTraceResponse } from "./contract.js";
import type { AppDeps, AppEnv } from "../../../app/deps.js";
import { AppError, badRequest, unsupportedMediaType } from "../../../platform/http/errors.js";
import { recordIngest } from "../../../platform/metrics.js";
import { requireApiKey } from "../../auth/api-key-auth.js";
import { parseJsonBody, readBody } from "../../../platform/http/body.js";
import { issueDetails } from "../../../platform/http/validate.js";
import { mapTraceRequest } from "./map-spans.js";
import { decodeTraceRequest, encodeTraceResponse, OtlpDecodeError } from "./proto.js";
import { ingestWriter } from "../store.js";
import { listPolicies, type PolicyRow } from "../../policies/store.js";
import { storeFailure } from "../routes.js";

type Encoding = "json" | "protobuf";
const PROTOBUF = "application/x-protobuf";

/**
 * OTLP/HTTP trace ingest: any OpenTelemetry exporter can point here. Spans become
 * Seamtrace events (otlp/map-spans.ts) and are committed through the same ingest queue as
 * `POST /v1/events`, with its auth, limits and idempotency (event ids derive from trace and span
 * ids, so a resent span is stored once). The answer is OTLP's: empty on success, a
 * `partialSuccess` naming how many spans were rejected and why, in the request's encoding.
 * A request that is not OTLP at all is a 400 in Seamtrace's JSON error envelope and stores nothing.
 */
export function tracesRoutes(deps: AppDeps) {
  const limits = deps.config.limits;
  const writer = ingestWriter(deps.store);

  return new Hono<AppEnv>().post("/traces", requireApiKey(deps), async (c) => {
    const encoding = encodingOf(c.req.header("content-type"));
    const { projectId, keyId } = c.get("principal");
    if (!keyId) throw new AppError(401, "unauthorized", "ingest takes a project API key");
    const bytes = await readBody(c.req.raw, { maxBytes: limits.maxBodyBytes });

    let raw: unknown;
    if (encoding === "json") raw = parseJsonBody(bytes);
    else {
      try {
        raw = decodeTraceRequest(bytes);
      } catch (err) {
        if (err instanceof OtlpDecodeError) throw badRequest("invalid_otlp", `the body is not an OTLP ExportTraceServiceRequest: ${err.message}`);
        throw err;
      }
    }
    checkEnvelopeLimits(raw, limits);
    const parsed = otlpTraceRequestSchema.safeParse(raw);
    if (!parsed.success) {
      const issues = issueDetails(parsed.error);
      throw badRequest("invalid_otlp", `the body is not an OTLP trace request: ${issues[0]?.path.join(".") ?? ""} ${issues[0]?.message ?? ""}`.trim(), issues);
    }
    const spanCount = (parsed.data.resourceSpans ?? []).reduce((n, rs) => n + (rs.scopeSpans ?? []).reduce((m, ss) => m + (ss.spans?.length ?? 0), 0), 0);
    if (spanCount > limits.maxBatchEvents) {
      throw new AppError(413, "too_many_spans", `a request holds at most ${limits.maxBatchEvents} spans, got ${spanCount}`, { maxBatchEvents: limits.maxBatchEvents });
    }

    const rules = spanCount > 0 ? policyIndex(await listPolicies(deps.store.db, projectId)) : undefined;
    const mapped = mapTraceRequest(parsed.data, { limits, ruleFor: rules && ((workflow, step) => rules(workflow, step)) });

    let stored: boolean[] = [];
    if (mapped.events.length > 0) {
      try {
        stored = (await writer.submit({ projectId, keyId, receivedAt: deps.now(), events: mapped.events })).map((o) => o === "accepted");
      } catch (err) {
        throw storeFailure(err);
      }
      deps.projector.notify(stored.reduce((n, s) => n + (s ? 1 : 0), 0));
    }
    const storedCount = stored.reduce((n, s) => n + (s ? 1 : 0), 0);
    recordIngest("otlp", { accepted: storedCount, duplicate: stored.length - storedCount, rejectedCodes: mapped.errors.map(() => "invalid_span") });

    const body: OtlpTraceResponse = {};
    if (mapped.rejected > 0) {
      const shown = mapped.errors.slice(0, 5).join("; ");
      body.partialSuccess = {
        rejectedSpans: mapped.rejected,
        errorMessage: mapped.errors.length > 5 ? `${shown} (and ${mapped.errors.length - 5} more)` : shown,
      };
    }
    if (encoding === "json") return c.json(body, 200);
    return c.body(encodeTraceResponse(body) as Uint8Array<ArrayBuffer>, 200, { "Content-Type": PROTOBUF });
  });
}

/** OTLP/HTTP's two encodings; anything else is refused before the body is read. */
function encodingOf(header: string | undefined): Encoding {
  const type = (header ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/json") return "json";
  if (type === PROTOBUF || type === "application/protobuf") return "protobuf";
  throw unsupportedMediaType("unsupported_media_type", `send OTLP as application/json or ${PROTOBUF}, not "${header ?? ""}"`);
}

/**
 * Resources are validated with the envelope; their attributes get the same string and depth
 * limits as span attributes first, so the validator never walks a hostile nesting.
 */
function checkEnvelopeLimits(raw: unknown, limits: Limits): void {
  const resourceSpans = (raw as { resourceSpans?: unknown } | null)?.resourceSpans;
  if (!Array.isArray(resourceSpans)) return;
  for (const rs of resourceSpans) {
    const resource = (rs as { resource?: unknown } | null)?.resource;
    if (resource === undefined) continue;
    const violation = checkJsonLimits(resource, limits);
    if (violation) throw badRequest(violation.code, `a resource: ${violation.message}`);
  }
}

/** Served policies by workflow and step: the step's rule over the workflow's, field by field. */
function policyIndex(rows: readonly PolicyRow[]): (workflow: string, step: string) => PolicyRule | undefined {
  const byKey = new Map<string, PolicyRule>();
  for (const r of rows) {
    const rule: PolicyRule = {};
    if (r.minConfidence !== null) rule.minConfidence = r.minConfidence;
    if (r.minCumulative !== null) rule.minCumulative = r.minCumulative;
    if (r.onLow !== null) rule.onLow = r.onLow;
    byKey.set(`${r.workflow}\u0000${r.step}`, rule);
  }
  return (workflow, step) => {
    const wf = byKey.get(`${workflow}\u0000`);
    const own = byKey.get(`${workflow}\u0000${step}`);
    return wf && own ? mergeRules(wf, own) : (own ?? wf);
  };
}
