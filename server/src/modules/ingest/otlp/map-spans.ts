import type { z } from "zod";
import { otlpSpanSchema, type OtlpTraceRequest } from "./contract.js";
import type { ItemLimits } from "../contract.js";
import { checkJsonLimits } from "../../../platform/http/json-limits.js";
import { attributeMap } from "./attributes.js";
import { draftSpan } from "./span-draft.js";
import type { IncomingSpan } from "./trace-store.js";

/**
 * OTLP spans → drafts, one span at a time (one bad span never sinks its request). What a span
 * becomes in its run is decided when it is stored with the rest of its trace (otlp/settle.ts).
 */
export interface MapResult {
  spans: IncomingSpan[];
  rejected: number;
  /** One message per rejected span, in request order. */
  errors: string[];
}

/**
 * How deep a span's OTLP JSON may nest before it is refused as hostile: each level of an
 * attribute value is three levels of AnyValue wrapping. Values past the wire limit's depth are
 * cut with a marker further on, not refused.
 */
export const rawDepth = (limits: ItemLimits) => 3 * limits.maxDepth + 16;

export function mapTraceRequest(request: OtlpTraceRequest, limits: ItemLimits): MapResult {
  const errors: string[] = [];
  const spans: IncomingSpan[] = [];
  let index = 0;
  const guard = { maxStringLength: Number.MAX_SAFE_INTEGER, maxDepth: rawDepth(limits) };
  for (const rs of request.resourceSpans ?? []) {
    const resource = attributeMap(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const raw of ss.spans ?? []) {
        const i = index++;
        const deep = checkJsonLimits(raw, guard);
        if (deep) {
          errors.push(`span ${i}: ${deep.message}`);
          continue;
        }
        const parsed = otlpSpanSchema.safeParse(raw);
        if (!parsed.success) {
          errors.push(`span ${i}: ${describe(parsed.error)}`);
          continue;
        }
        const drafted = draftSpan(parsed.data, resource, ss.scope, limits);
        if (typeof drafted === "string") {
          errors.push(`span ${i}: ${drafted}`);
          continue;
        }
        spans.push(drafted);
      }
    }
  }
  return { spans, rejected: errors.length, errors };
}

export function describe(error: z.ZodError): string {
  const first = error.issues[0];
  if (!first) return "invalid";
  const where = first.path.length ? `${first.path.map(String).join(".")}: ` : "";
  return `${where}${first.message}${error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : ""}`;
}
