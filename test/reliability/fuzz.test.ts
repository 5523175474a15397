import fc from "fast-check";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { completedRun } from "../../server/test-support/events-fixtures.js";
import { readAuditHead } from "../../server/src/modules/audit/store.js";
import { verifyAudit } from "../../server/src/modules/audit/verify.js";
import { decodeStatus } from "../../server/src/modules/ingest/otlp/proto.js";
import { createTestContext, type TestContext } from "../../server/test-support/testing.js";
import { batch, envelope, FUZZ_ENV, serialize, validEvent } from "../support/ingest-arbitraries.js";
import { scale, writeSummary } from "../support/reliability.js";

/**
 * Fast-check against the collector and the query API, 10,000 cases in the full
 * form (1,000 inside `npm test`), in-process through `app.request()`.
 *
 * For every request: never a 5xx; every error is a 4xx with JSON `{ error: { code, message } }`;
 * a refused ingest (4xx) leaves the project's events and its audit chain exactly as they were,
 * and a 2xx stores exactly the items it answers `accepted`; a query never writes (the chain does
 * not move). At the end the audit chain verifies. test/contract/ingest-fuzz.test.ts checks each
 * ingest answer against a model item by item; this suite goes wider (headers, encodings,
 * content types, batch shapes, every query route with arbitrary query strings) and longer.
 */

const CASES = scale(1_000, 10_000);
const INGEST_CASES = Math.round(CASES * 0.4);
/** Labels and OTLP traces: the other ways in for an API key, with the same invariants. */
const OTHER_WRITE_CASES = Math.round(CASES * 0.1);
const QUERY_CASES = CASES - INGEST_CASES - OTHER_WRITE_CASES;

let ctx: TestContext;
let projectId: string;
let key: string;
let cookie: string;
let otherProjectId: string;
const serverErrors: string[] = [];
const statuses: Record<string, Record<string, number>> = { ingest: {}, query: {}, otherWrites: {} };
const errorCodes = new Set<string>();
let acceptedTotal = 0;
const failures: string[] = [];

function tally(kind: "ingest" | "query" | "otherWrites", status: number) {
  statuses[kind]![status] = (statuses[kind]![status] ?? 0) + 1;
}

async function state() {
  const rs = await ctx.store.client.execute({
    sql: "SELECT count(*) FROM events WHERE project_key = (SELECT project_key FROM project_keys WHERE project_id = ?)",
    args: [projectId],
  });
  const head = await readAuditHead(ctx.store.client, projectId);
  return { events: Number(rs.rows[0]![0]), seq: head?.seq ?? 0, hash: head?.hash ?? null };
}

/** Checks the shape of an error answer; returns a complaint or null. */
function badError(status: number, contentType: string, text: string): string | null {
  if (status >= 500) return `a ${status}`;
  if (status < 400) return null;
  if (!contentType.startsWith("application/json")) return `${status} with content-type ${contentType}`;
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code !== "string" || typeof body.error.message !== "string")
      return `${status} without { error: { code, message } }: ${text.slice(0, 200)}`;
    errorCodes.add(body.error.code);
    return null;
  } catch {
    return `${status} with a body that is not JSON: ${text.slice(0, 200)}`;
  }
}

/**
 * OTLP/HTTP answers a protobuf request's errors with a protobuf google.rpc.Status, as exporters
 * expect; the app's error code leads its message, so the refusal is as legible as a JSON one.
 */
function badProtobufError(status: number, requestType: string, bytes: Uint8Array): string | null {
  if (status >= 500) return `a ${status}`;
  if (status < 400) return null;
  if (!requestType.toLowerCase().includes("protobuf")) return `${status} in protobuf to a ${requestType || "typeless"} request`;
  try {
    const { code, message } = decodeStatus(bytes);
    const appCode = /^([a-z_]+): ./.exec(message ?? "")?.[1];
    if (!code || !appCode) return `${status} with a Status lacking a code or an "error_code: message" message: ${JSON.stringify({ code, message })}`;
    errorCodes.add(appCode);
    return null;
  } catch {
    return `${status} with a protobuf body that is not a google.rpc.Status`;
  }
}

// ---- Ingest requests: the shared envelope cases, plus headers and shapes they do not cover.

interface IngestCase {
  kind: string;
  body: string | Uint8Array;
  headers: Record<string, string | null>;
}

const headerValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    "application/json",
    "application/json; charset=utf-8",
    "APPLICATION/JSON",
    "application/json;",
    "application/jsonx",
    "text/json",
    "*/*",
    "gzip",
    "identity",
    "chunked",
    "0",
    "-1",
    "99999999999999999999",
  ),
);
const headerName = fc.constantFrom(
  "content-type",
  "content-encoding",
  "content-length",
  "accept",
  "accept-encoding",
  "x-request-id",
  "origin",
  "sec-fetch-site",
  "cookie",
  "transfer-encoding",
  "x-forwarded-for",
);

const oddIngest: fc.Arbitrary<IngestCase> = fc.oneof(
  // A good batch under arbitrary extra or replaced headers.
  fc.tuple(batch("x", 5), fc.dictionary(headerName, headerValue, { maxKeys: 3 })).map(([items, hs]) => ({
    kind: "headers",
    body: serialize({ events: items.map((i) => i.value) }),
    headers: hs,
  })),
  // Batch shapes: events mixed with arrays, nulls, numbers, huge ids, nested envelopes.
  fc.array(fc.oneof(validEvent, fc.jsonValue({ maxDepth: 3 }), fc.constant(null), fc.array(validEvent, { maxLength: 2 })), { maxLength: 8 }).map((events) => ({
    kind: "shapes",
    body: JSON.stringify({ events }),
    headers: {},
  })),
  // Valid events with one field replaced by any JSON value.
  fc.tuple(validEvent, fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 })).map(([e, k, v]) => ({
    kind: "field replaced",
    body: JSON.stringify({ events: [{ ...e, [k in e ? k : Object.keys(e)[k.length % Object.keys(e).length]!]: v }] }),
    headers: {},
  })),
  // Gzip of anything, with an encoding header or without.
  fc.tuple(fc.jsonValue({ maxDepth: 3 }), fc.boolean()).map(([v, say]) => ({
    kind: "gzip of any json",
    body: gzipSync(JSON.stringify(v)),
    headers: (say ? { "content-encoding": "gzip" } : {}) as Record<string, string | null>,
  })),
  // The same batch twice in one request: the second copy is a duplicate.
  batch("x", 4).map((items) => ({ kind: "repeated", body: serialize({ events: [...items, ...items].map((i) => i.value) }), headers: {} })),
);

function headersFor(overrides: Record<string, string | null>): Record<string, string> {
  const all: Record<string, string | null> = { "content-type": "application/json", authorization: `Bearer ${key}`, ...overrides };
  return Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== null));
}

async function sendIngest(c: IngestCase): Promise<string | null> {
  const before = await state();
  const res = await ctx.app.request("/v1/events", { method: "POST", headers: headersFor(c.headers), body: c.body });
  const text = await res.text();
  tally("ingest", res.status);
  const complaint = badError(res.status, res.headers.get("content-type") ?? "", text);
  if (complaint) return `${c.kind}: ${complaint}`;
  const after = await state();
  if (res.status >= 400) {
    if (after.events !== before.events || after.seq !== before.seq || after.hash !== before.hash)
      return `${c.kind}: a ${res.status} changed the store (${JSON.stringify({ before, after })})`;
    return null;
  }
  const results = (JSON.parse(text) as { results?: Array<{ status: string }> }).results;
  if (!Array.isArray(results)) return `${c.kind}: a ${res.status} without results`;
  const accepted = results.filter((r) => r.status === "accepted").length;
  acceptedTotal += accepted;
  if (after.events - before.events !== accepted) return `${c.kind}: answered ${accepted} accepted but the log grew by ${after.events - before.events}`;
  if (accepted === 0 && after.seq !== before.seq) return `${c.kind}: nothing accepted but the audit chain moved`;
  // A conflict (an id the store holds with other content, which a fuzzed id can hit) names a
  // mistake as a rejection does: 207.
  const refused = results.some((r) => r.status === "rejected" || r.status === "conflict");
  if (res.status === 200 && refused) return `${c.kind}: 200 with a rejected or conflicting item`;
  if (res.status === 207 && !refused) return `${c.kind}: 207 without a rejected or conflicting item`;
  return null;
}

// ---- Labels and OTLP traces: arbitrary bodies under JSON and protobuf content types.

const otherWrite = fc.oneof(
  fc.record({
    path: fc.constant("/v1/labels"),
    contentType: fc.constantFrom("application/json", "text/plain", "application/json; charset=utf-8"),
    body: fc.oneof(
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc
        .array(
          fc.record(
            {
              runId: fc.oneof(fc.uuid().map(String), fc.string({ maxLength: 300 })),
              stepId: fc.oneof(fc.uuid().map(String), fc.string()),
              correct: fc.oneof(fc.boolean(), fc.jsonValue()),
              value: fc.jsonValue({ maxDepth: 3 }),
              reason: fc.string({ maxLength: 300 }),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 5 },
        )
        .map((labels) => JSON.stringify({ labels })),
    ),
  }),
  fc.record({
    path: fc.constant("/v1/traces"),
    contentType: fc.constantFrom("application/json", "application/x-protobuf", "text/plain", ""),
    body: fc.oneof(
      fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v)),
      fc.uint8Array({ maxLength: 400 }),
      fc
        .array(
          fc.record({
            scopeSpans: fc.array(
              fc.record({
                spans: fc.array(
                  fc.dictionary(
                    fc.constantFrom(
                      "traceId",
                      "spanId",
                      "parentSpanId",
                      "name",
                      "startTimeUnixNano",
                      "endTimeUnixNano",
                      "attributes",
                      "events",
                      "status",
                      "kind",
                    ),
                    fc.jsonValue({ maxDepth: 3 }),
                  ),
                  { maxLength: 3 },
                ),
              }),
              { maxLength: 2 },
            ),
          }),
          { maxLength: 2 },
        )
        .map((resourceSpans) => JSON.stringify({ resourceSpans })),
    ),
  }),
);

async function sendOtherWrite(c: { path: string; contentType: string; body: string | Uint8Array }): Promise<string | null> {
  const before = await state();
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (c.contentType) headers["content-type"] = c.contentType;
  const res = await ctx.app.request(c.path, { method: "POST", headers, body: c.body });
  const bytes = new Uint8Array(await res.arrayBuffer());
  tally("otherWrites", res.status);
  const contentType = res.headers.get("content-type") ?? "";
  const complaint = contentType.startsWith("application/x-protobuf")
    ? badProtobufError(res.status, c.contentType, bytes)
    : badError(res.status, contentType, new TextDecoder().decode(bytes));
  if (complaint) return `POST ${c.path} (${c.contentType}): ${complaint}`;
  const after = await state();
  if (res.status >= 400 && (after.seq !== before.seq || after.events !== before.events)) return `POST ${c.path}: a ${res.status} changed the store`;
  return null;
}

// ---- Query routes with arbitrary query strings, as the SDK (key) and as a signed-in admin.

const ROUTES = [
  "/v1/runs",
  "/v1/runs/:id",
  "/v1/runs/:id/state",
  "/v1/workflows",
  "/v1/run-state",
  "/v1/resumable",
  "/v1/escalations",
  "/v1/escalations/:id",
  "/v1/analytics/series",
  "/v1/analytics/calibration",
  "/v1/analytics/escalations",
  "/v1/analytics/drift",
  "/v1/analytics/latency",
  "/v1/analytics/agreement",
  "/v1/analytics/calibration-maps",
  "/v1/metrics",
  "/v1/alerts",
  "/v1/alerts/rules",
  "/v1/thresholds/changes",
  "/v1/audit",
  "/v1/audit/export",
  "/v1/audit/verifications",
  "/v1/audit/verifications/:id",
  "/v1/audit/checkpoints",
  "/v1/policies",
  "/v1/policies/history",
  "/v1/jobs",
  "/v1/jobs/runs",
  "/v1/retention",
  "/v1/webhooks",
] as const;
const PARAMS = [
  "limit",
  "cursor",
  "before",
  "after",
  "from",
  "to",
  "status",
  "workflow",
  "version",
  "step",
  "window",
  "q",
  "action",
  "actor",
  "subject",
  "runId",
  "stepId",
  "kind",
  "order",
  "sort",
  "metric",
  "format",
  "key",
  "minCumulative",
  "gateKinds",
  "blocking",
  "source",
  "job",
  "name",
  "since",
  "until",
  "bucket",
  "flagged",
  "risk",
  "reviewerId",
];
const paramValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom(
    "",
    "0",
    "-1",
    "1e9",
    "NaN",
    "Infinity",
    "999999999999999999999",
    "1.5",
    "true",
    "null",
    "[]",
    "{}",
    "%",
    "%zz",
    "%00",
    "%F0%9F",
    "a%2Cb",
    "2025-01-15T09:30:00Z",
    "2025-13-45",
    "1970-01-01",
    "9999-12-31T23:59:59Z",
    "24h",
    "7d",
    "-24h",
    "P1D",
    "open",
    "resolved",
    "asc",
    "desc",
    "json",
    "csv",
    "jsonl",
    "eyJzZXEiOjF9",
    "eyJ",
    "not-base64!!",
    "\u0000",
    "\u{1F600}",
    "'; DROP TABLE events; --",
    "../../etc/passwd",
  ),
  fc.integer().map(String),
  fc.uuid().map(String),
  fc.string({ maxLength: 2000 }),
);
/** A raw query string: name=value pairs, some encoded, some not, some repeated, some without "=". */
const queryString = fc
  .array(
    fc.oneof(
      fc.tuple(fc.constantFrom(...PARAMS), paramValue).map(([k, v]) => `${k}=${encodeURIComponent(v)}`),
      fc.tuple(fc.constantFrom(...PARAMS), fc.stringMatching(/^[A-Za-z0-9%&=+.,:;_~!*'()\-[\]]{0,20}$/)).map(([k, v]) => `${k}=${v}`),
      fc.constantFrom(...PARAMS),
      // Percent-encodings that do not decode: an invalid UTF-8 sequence, a lone surrogate, a bare %.
      fc.tuple(fc.constantFrom(...PARAMS), fc.constantFrom("%ED%A0%80", "%C0%AF", "%FF", "%", "%%", "%u0041", "%2", "a%ZZb")).map(([k, v]) => `${k}=${v}`),
      fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`),
    ),
    { maxLength: 6 },
  )
  .map((parts) => parts.join("&"));
const pathId = fc.oneof(
  fc.uuid().map(String),
  fc.string({ minLength: 1, maxLength: 40 }).map(encodeURIComponent),
  fc.constantFrom("%", "..", "%2F", "a".repeat(5000), "null"),
);

async function sendQuery(route: string, id: string, qs: string, asUser: boolean): Promise<string | null> {
  const before = await readAuditHead(ctx.store.client, projectId);
  const path = route.replace(":id", id) + (qs ? `?${qs}` : "");
  let res: Response;
  try {
    res = await ctx.app.request(path, { headers: asUser ? { cookie } : { authorization: `Bearer ${key}` } });
  } catch (err) {
    return `GET ${path.slice(0, 300)}: threw ${String(err)}`;
  }
  const text = await res.text();
  tally("query", res.status);
  const complaint = badError(res.status, res.headers.get("content-type") ?? "", text);
  if (complaint) return `GET ${path.slice(0, 300)} (${asUser ? "admin" : "key"}): ${complaint}`;
  const after = await readAuditHead(ctx.store.client, projectId);
  // An export is an audited fact; every other read adds no entry.
  const audited = route === "/v1/audit/export" && res.status === 200;
  if (!audited && after?.seq !== before?.seq) return `GET ${path.slice(0, 300)}: a read moved the audit chain`;
  return null;
}

beforeAll(async () => {
  ctx = await createTestContext({ ...FUZZ_ENV, SEAMTRACE_RATE_LIMIT_PER_MINUTE: "10000000" });
  ctx.deps.log = { info: () => {}, error: (message, fields) => void serverErrors.push(`${message} ${JSON.stringify(fields)}`.slice(0, 2000)) };
  ({ projectId, key } = await ctx.newProject("fuzzed"));
  otherProjectId = (await ctx.newProject("other")).projectId;
  ({ cookie } = await ctx.newUser(projectId, "admin"));
  // Something for the queries to find.
  for (let i = 0; i < 5; i++) {
    const res = await ctx.app.request("/v1/events", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({ events: completedRun().events }),
    });
    expect(res.status).toBe(200);
  }
}, 60_000);

afterAll(() => {
  writeSummary("fuzz", {
    cases: { ingest: INGEST_CASES, otherWrites: OTHER_WRITE_CASES, query: QUERY_CASES },
    statuses,
    errorCodes: [...errorCodes].sort(),
    eventsAccepted: acceptedTotal,
    failures: failures.slice(0, 20),
    serverErrors: serverErrors.slice(0, 5),
  });
  ctx?.close();
});

describe("fuzzing the collector and the query API", () => {
  it(
    `answers ${INGEST_CASES} fuzzed ingest requests with no 5xx, JSON errors, and a store that moves only by what was accepted`,
    async () => {
      const arb = fc.oneof(
        { weight: 3, arbitrary: envelope(otherProjectId).map((e): IngestCase => ({ kind: e.kind, body: e.body, headers: e.headers })) },
        { weight: 2, arbitrary: oddIngest },
      );
      await fc.assert(
        fc.asyncProperty(arb, async (c) => {
          const complaint = await sendIngest(c);
          if (complaint) failures.push(complaint);
          expect(complaint, [complaint, ...serverErrors.slice(-2)].join("\n")).toBeNull();
        }),
        { numRuns: INGEST_CASES },
      );
    },
    scale(240_000, 3_600_000),
  );

  it(
    `answers ${OTHER_WRITE_CASES} fuzzed labels and OTLP trace requests with no 5xx, JSON errors, and no change when refused`,
    async () => {
      await fc.assert(
        fc.asyncProperty(otherWrite, async (c) => {
          const complaint = await sendOtherWrite(c);
          if (complaint) failures.push(complaint);
          expect(complaint, [complaint, ...serverErrors.slice(-2)].join("\n")).toBeNull();
        }),
        { numRuns: OTHER_WRITE_CASES },
      );
    },
    scale(240_000, 3_600_000),
  );

  it(
    `answers ${QUERY_CASES} fuzzed queries on every read route with no 5xx and JSON errors, and never writes (but an audited export)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...ROUTES), pathId, queryString, fc.boolean(), async (route, id, qs, asUser) => {
          const complaint = await sendQuery(route, id, qs, asUser);
          if (complaint) failures.push(complaint);
          expect(complaint, [complaint, ...serverErrors.slice(-2)].join("\n")).toBeNull();
        }),
        { numRuns: QUERY_CASES },
      );
    },
    scale(240_000, 3_600_000),
  );

  it("leaves an audit chain that verifies", async () => {
    const report = await verifyAudit(ctx.store.db, projectId, ctx.deps.auditSigner.publicKey);
    expect(report.ok, JSON.stringify(report)).toBe(true);
    expect((await verifyAudit(ctx.store.db, otherProjectId, ctx.deps.auditSigner.publicKey)).ok).toBe(true);
  });
});
