import { z } from "zod";

// OTLP/HTTP trace requests in their JSON shape (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding):
// lowerCamelCase names, trace and span ids as hex, enums as integers, 64-bit integers as decimal
// strings or numbers. Protobuf requests are decoded into the same shape (otlp/proto.ts), so one
// set of schemas covers both encodings. Unknown fields are ignored, as OTLP receivers must.
//
// The envelope is checked as a whole (a request that is not OTLP is a 400 that stores nothing);
// each span on its own, so one bad span is counted in `rejectedSpans` and its neighbours go in.

const hex = (length: number) =>
  z
    .string()
    .regex(new RegExp(`^[0-9a-fA-F]{${length}}$`), `must be ${length} hex digits`)
    .refine((s) => !/^0+$/.test(s), "must not be all zeros")
    .transform((s) => s.toLowerCase());

/**
 * Nanoseconds since the epoch: uint64 as a decimal string or, as the proto3 JSON mapping also
 * allows, a number. A number past 2^53 has lost its last digits in JSON.parse already; for
 * times that is well under a microsecond, so it is taken as it is.
 */
const unixNanos = z.union([
  z.string().regex(/^\d{1,20}$/),
  // Not z.int(): zod holds it to the safe-integer range, and nanosecond times are past 2^53.
  z
    .number()
    .refine((n) => Number.isInteger(n) && n >= 0, "must be a whole number of nanoseconds")
    .transform((n) => BigInt(n).toString()),
]);
/** int64 attribute values: a decimal string or a number (of any size: the JSON mapping allows both). */
const int64 = z.union([z.string().regex(/^-?\d{1,20}$/), z.number().refine(Number.isInteger, "must be a whole number")]);

export interface OtlpAnyValue {
  stringValue?: string | undefined;
  boolValue?: boolean | undefined;
  intValue?: string | number | undefined;
  doubleValue?: number | string | undefined;
  arrayValue?: { values?: OtlpAnyValue[] | undefined } | undefined;
  kvlistValue?: { values?: OtlpKeyValue[] | undefined } | undefined;
  bytesValue?: string | undefined;
}

export interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue | undefined;
}

export const anyValueSchema: z.ZodType<OtlpAnyValue> = z.lazy(() =>
  z.object({
    stringValue: z.string().optional(),
    boolValue: z.boolean().optional(),
    intValue: int64.optional(),
    // proto3 JSON writes non-finite doubles as strings.
    doubleValue: z.union([z.number(), z.enum(["NaN", "Infinity", "-Infinity"])]).optional(),
    arrayValue: z.object({ values: z.array(anyValueSchema).optional() }).optional(),
    kvlistValue: z.object({ values: z.array(keyValueSchema).optional() }).optional(),
    bytesValue: z.string().optional(),
  }),
);

export const keyValueSchema: z.ZodType<OtlpKeyValue> = z.lazy(() => z.object({ key: z.string(), value: anyValueSchema.optional() }));

const attributes = z.array(keyValueSchema).optional();

/** Enums are integers in OTLP/JSON; the names are accepted too, as some senders write them. */
const STATUS_CODES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };

export const otlpSpanSchema = z.object({
  traceId: hex(32),
  spanId: hex(16),
  // Empty (or absent) for a root span.
  parentSpanId: z.union([hex(16), z.literal("")]).optional(),
  name: z.string(),
  kind: z.union([z.int(), z.string()]).optional(),
  // Bits 8 and 9 say whether the parent is known to be remote (in another process), and whether it is.
  flags: z.number().int().min(0).max(0xffffffff).optional(),
  startTimeUnixNano: unixNanos,
  endTimeUnixNano: unixNanos,
  attributes,
  events: z.array(z.object({ timeUnixNano: unixNanos.optional(), name: z.string().optional(), attributes })).optional(),
  links: z
    .array(
      z.object({
        traceId: z.string(),
        spanId: z.string(),
        attributes,
      }),
    )
    .optional(),
  status: z
    .object({
      code: z.union([z.int(), z.enum(["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"]).transform((s) => STATUS_CODES[s]!)]).optional(),
      message: z.string().optional(),
    })
    .optional(),
});

export type OtlpSpan = z.output<typeof otlpSpanSchema>;

/** The request as a whole: resources and scopes are checked here, spans one by one later. */
export const otlpTraceRequestSchema = z.object({
  resourceSpans: z
    .array(
      z.object({
        resource: z.object({ attributes }).optional(),
        scopeSpans: z
          .array(
            z.object({
              scope: z.object({ name: z.string().optional(), version: z.string().optional() }).optional(),
              spans: z.array(z.unknown()).optional(),
            }),
          )
          .optional(),
      }),
    )
    .optional(),
});

export type OtlpTraceRequest = z.output<typeof otlpTraceRequestSchema>;

/** `POST /v1/traces` answer (OTLP partial success): empty when every span was accepted. */
export const otlpTraceResponseSchema = z.object({
  partialSuccess: z
    .object({
      rejectedSpans: z.number().int().min(0),
      errorMessage: z.string(),
    })
    .optional(),
});
export type OtlpTraceResponse = z.output<typeof otlpTraceResponseSchema>;

/** One OTLP log record; GenAI events name themselves in `eventName` (or, before it, `event.name`). */
export const otlpLogRecordSchema = z.object({
  timeUnixNano: unixNanos.optional(),
  observedTimeUnixNano: unixNanos.optional(),
  body: anyValueSchema.optional(),
  attributes,
  traceId: z.union([hex(32), z.literal("")]).optional(),
  spanId: z.union([hex(16), z.literal("")]).optional(),
  eventName: z.string().optional(),
});

export type OtlpLogRecord = z.output<typeof otlpLogRecordSchema>;

/** `POST /v1/logs` as a whole: resources and scopes checked here, records one by one later. */
export const otlpLogsRequestSchema = z.object({
  resourceLogs: z
    .array(
      z.object({
        resource: z.object({ attributes }).optional(),
        scopeLogs: z
          .array(
            z.object({
              scope: z.object({ name: z.string().optional(), version: z.string().optional() }).optional(),
              logRecords: z.array(z.unknown()).optional(),
            }),
          )
          .optional(),
      }),
    )
    .optional(),
});

export type OtlpLogsRequest = z.output<typeof otlpLogsRequestSchema>;

/** `POST /v1/logs` answer (OTLP partial success): empty when every record was accepted. */
export const otlpLogsResponseSchema = z.object({
  partialSuccess: z
    .object({
      rejectedLogRecords: z.number().int().min(0),
      errorMessage: z.string(),
    })
    .optional(),
});
export type OtlpLogsResponse = z.output<typeof otlpLogsResponseSchema>;
