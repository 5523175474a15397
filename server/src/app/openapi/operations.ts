import { z } from "zod";
import { loginBody, peopleQuery } from "../../modules/auth/contract.js";
import { eventSchema } from "../../modules/ingest/contract.js";
import {
  anyValueSchema,
  keyValueSchema,
  otlpLogsRequestSchema,
  otlpLogsResponseSchema,
  otlpTraceRequestSchema,
  otlpTraceResponseSchema,
} from "../../modules/ingest/otlp/contract.js";
import { deleteQuery, historyQuery, policiesQuery, policyBody, stepParam, workflowParam } from "../../modules/policies/contract.js";
import { auditExportQuery, auditListQuery, verificationId, verificationListQuery } from "../../modules/audit/contract.js";
import { runIdParam, runListQuery, workflowListQuery } from "../../modules/runs/contract.js";
import { retentionBody, retentionParam } from "../../modules/retention/contract.js";
import { decisionBody, escalationIdParam, feedbackLabel, judgementBody, queueCountQuery, queueQuery } from "../../modules/review/contract.js";
import {
  agreementQuery as raterAgreementQuery,
  assigneesQuery,
  groupBody,
  groupParam,
  judgeBody,
  judgeItemsQuery,
  judgeParam,
  windowQuery,
} from "../../modules/review/team-contract.js";
import { byKeyQuery, renewBody, resumableQuery, resumeBody, runIdParam as stateRunIdParam } from "../../modules/runs/run-state-routes.js";
import { createBody as webhookBody, deliveriesQuery, idParam as webhookIdParam } from "../../modules/webhooks/routes.js";
import {
  agreementQuery,
  alertRuleBody,
  alertsQuery,
  driftQuery,
  idParam as analyticsIdParam,
  listSeriesQuery,
  metricsQuery,
  revertBody,
  seriesQuery,
  thresholdChangesQuery,
} from "../../modules/analytics/contract.js";
import { jobParam, runQuery as jobRunQuery, runsQuery as jobRunsQuery } from "../../modules/jobs/contract.js";
import { correctionsExportQuery } from "../../modules/exports/contract.js";
import { goldenCaseBody, goldenResultBody, goldenResultIdParam, goldenResultsQuery, goldenSetParam } from "../../modules/golden/contract.js";

/**
 * Every HTTP operation the server mounts, described from the same zod schemas its validators
 * use, so the OpenAPI document (openapi/document.ts) cannot drift from what is enforced. A route
 * added to the app without an entry here fails routes/openapi.test.ts, which compares this list
 * with Hono's `app.routes`.
 *
 * Why a list rather than a Hono OpenAPI integration: @hono/zod-openapi needs every route
 * rewritten as an OpenAPIHono `createRoute`, and hono-openapi a `describeRoute` middleware in
 * every route chain; both mean editing each route group (and their validators' error
 * handling) for documentation alone. This list touches no handler and the test keeps it complete.
 */

/** How a route authenticates (the security schemes in document.ts). */
export type Auth = "apiKey" | "session" | "apiKeyOrSession" | "metricsToken" | "none";

export interface Operation {
  method: "get" | "post" | "put" | "delete";
  /** OpenAPI path syntax: `/v1/runs/{id}`. */
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  auth: Auth;
  params?: z.ZodObject;
  query?: z.ZodType;
  /** Request body: a component name from `components`, by media type. */
  body?: Record<string, string | { type: "string"; format: "binary" }>;
  /** Status → description, and the response's component name when it has a schema. */
  responses: Record<string, string | { description: string; schema: string; mediaTypes?: string[] }>;
}

const DEFAULT_LIMITS = { maxStringLength: 1024 * 1024, maxDepth: 32 };

const errorBody = z.object({
  error: z.object({
    code: z.string().meta({ description: "Stable, machine-readable error code (`invalid_body`, `not_found`, …)." }),
    message: z.string(),
    details: z.unknown().optional(),
    requestId: z.string().optional(),
  }),
});

const ingestResponse = z.object({
  results: z.array(
    z.object({
      id: z.string().nullable(),
      status: z.enum(["accepted", "duplicate", "conflict", "rejected"]).meta({
        description:
          "`duplicate`: this id was stored before with the same content. `conflict`: stored before with other content; the stored event stands and nothing changed.",
      }),
      code: z.string().optional(),
      message: z.string().optional(),
    }),
  ),
});

/** Schemas shown under `components.schemas`, by name. */
export const components: Record<string, z.ZodType> = {
  Error: errorBody,
  SeamtraceEvent: eventSchema,
  IngestRequest: z.object({ events: z.array(eventSchema).max(1_000) }),
  IngestResponse: ingestResponse,
  OtlpAnyValue: anyValueSchema,
  OtlpKeyValue: keyValueSchema,
  OtlpTraceRequest: otlpTraceRequestSchema,
  OtlpTraceResponse: otlpTraceResponseSchema,
  OtlpLogsRequest: otlpLogsRequestSchema,
  OtlpLogsResponse: otlpLogsResponseSchema,
  LoginRequest: loginBody,
  PolicyRequest: policyBody,
  DecisionRequest: decisionBody(DEFAULT_LIMITS),
  JudgementRequest: judgementBody(DEFAULT_LIMITS),
  ReviewGroupRequest: groupBody,
  JudgeRequest: judgeBody,
  LabelsRequest: z.object({ labels: z.array(feedbackLabel).max(1_000) }),
  ResumeRequest: resumeBody,
  ResumeRenewRequest: renewBody,
  WebhookRequest: webhookBody,
  RetentionRequest: retentionBody,
  AlertRuleRequest: alertRuleBody,
  RevertRequest: revertBody,
  GoldenResultRequest: goldenResultBody,
  GoldenCaseRequest: goldenCaseBody,
};

const json = (schema: string) => ({ "application/json": schema });
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), { description: ERROR_TEXT[s] ?? "Error", schema: "Error" }]));
const ERROR_TEXT: Record<number, string> = {
  400: "Malformed request",
  401: "Missing or invalid credentials",
  403: "Not allowed for this role or origin",
  404: "Not found in this project",
  409: "Conflicts with the current state",
  413: "Body or batch too large",
  415: "Unsupported media type or encoding",
  429: "Too many requests (see Retry-After)",
  503: "The store cannot take the request now (see Retry-After)",
};

export const operations: Operation[] = [
  // ---- service
  {
    method: "get",
    path: "/healthz",
    operationId: "health",
    tag: "Service",
    summary: "Liveness, store reachability and projection lag",
    auth: "none",
    description:
      "503 `degraded` with `reasons` (`storage_full`: the store's disk is full; `locked`: another process has held the write lock for a second or more) while reads still answer; 503 `unreachable` when the store cannot be read.",
    responses: { 200: "Healthy", 503: "Degraded (see `reasons`) or the store is unreachable" },
  },
  {
    method: "get",
    path: "/metrics",
    operationId: "metrics",
    tag: "Service",
    summary: "Prometheus metrics (text exposition format)",
    auth: "metricsToken",
    description: "Open on a loopback bind; otherwise requires `SEAMTRACE_METRICS_TOKEN` as a bearer token.",
    responses: { 200: "Metrics in the Prometheus text format", ...errors(401, 403) },
  },
  {
    method: "get",
    path: "/openapi.json",
    operationId: "openapi",
    tag: "Service",
    summary: "This OpenAPI 3.1 document",
    auth: "none",
    responses: { 200: "The document" },
  },
  {
    method: "get",
    path: "/reference",
    operationId: "apiReference",
    tag: "Service",
    summary: "Browsable API reference (HTML)",
    auth: "none",
    responses: { 200: "An HTML page", 404: "The UI has not been built" },
  },

  // ---- ingest
  {
    method: "post",
    path: "/v1/events",
    operationId: "ingestEvents",
    tag: "Ingest",
    summary: "Send a batch of SDK events",
    auth: "apiKey",
    description:
      "Each event is validated and answered on its own; gzip and deflate bodies are accepted. 207 when some items were rejected (a confidence outside [0, 1] is `invalid_confidence`) or conflict with a stored event of the same id. Ids are compared in lower case.",
    body: json("IngestRequest"),
    responses: {
      200: { description: "Every item accepted or a duplicate", schema: "IngestResponse" },
      207: { description: "Some items rejected or in conflict", schema: "IngestResponse" },
      ...errors(400, 401, 413, 415, 503),
    },
  },
  {
    method: "post",
    path: "/v1/traces",
    operationId: "ingestTraces",
    tag: "Ingest",
    summary: "OTLP/HTTP trace export (JSON or protobuf)",
    auth: "apiKey",
    description:
      "Point any OpenTelemetry OTLP/HTTP exporter here (docs/otel.md). Spans become runs and steps, the same in any split and order; the answer is OTLP partial success, in the request's encoding. Errors to a protobuf request are a protobuf google.rpc.Status. Up to 20 MiB after decompression (SEAMTRACE_OTLP_MAX_BODY_BYTES).",
    body: { ...json("OtlpTraceRequest"), "application/x-protobuf": { type: "string", format: "binary" } },
    responses: {
      200: {
        description: "Accepted; `partialSuccess` counts rejected spans",
        schema: "OtlpTraceResponse",
        mediaTypes: ["application/json", "application/x-protobuf"],
      },
      ...errors(400, 401, 413, 415, 503),
    },
  },
  {
    method: "post",
    path: "/v1/logs",
    operationId: "ingestLogs",
    tag: "Ingest",
    summary: "OTLP/HTTP log export: GenAI event records (JSON or protobuf)",
    auth: "apiKey",
    description:
      "GenAI event records (gen_ai.evaluation.result and other gen_ai.* events) attach to the step of the span they name by trace and span id, whichever arrives first. Other log records are rejected in `partialSuccess`.",
    body: { ...json("OtlpLogsRequest"), "application/x-protobuf": { type: "string", format: "binary" } },
    responses: {
      200: {
        description: "Accepted; `partialSuccess` counts rejected records",
        schema: "OtlpLogsResponse",
        mediaTypes: ["application/json", "application/x-protobuf"],
      },
      ...errors(400, 401, 413, 415, 503),
    },
  },
  {
    method: "post",
    path: "/v1/labels",
    operationId: "sendLabels",
    tag: "Ingest",
    summary: "Late feedback: ground-truth labels for step outputs",
    auth: "apiKey",
    body: json("LabelsRequest"),
    responses: { 200: "Every label stored", 207: "Some labels rejected", ...errors(400, 401, 413, 415) },
  },

  // ---- runs
  {
    method: "get",
    path: "/v1/runs",
    operationId: "listRuns",
    tag: "Runs",
    summary: "Runs, newest first, filtered and paged by cursor",
    auth: "apiKeyOrSession",
    query: runListQuery(() => Date.now()),
    description:
      "Answers at once while another process holds the write lock or the disk is full, from what is projected: `Seamtrace-Stale` (locked, storage_full, unavailable), `Seamtrace-Projection-Lag` (events acknowledged but not shown; 0 when fresh) and `Seamtrace-Stale-Since` say how stale.",
    responses: { 200: "A page of runs", ...errors(400, 401) },
  },
  {
    method: "get",
    path: "/v1/runs/{id}",
    operationId: "getRun",
    tag: "Runs",
    summary: "One run with its steps (the DAG)",
    auth: "apiKeyOrSession",
    params: runIdParam,
    responses: { 200: "The run", ...errors(400, 401, 404) },
  },
  {
    method: "get",
    path: "/v1/workflows",
    operationId: "listWorkflows",
    tag: "Runs",
    summary: "Workflows with run counts in a time window",
    auth: "apiKeyOrSession",
    query: workflowListQuery(() => Date.now()),
    responses: { 200: "Workflows", ...errors(400, 401) },
  },

  // ---- resume
  {
    method: "get",
    path: "/v1/runs/{id}/state",
    operationId: "getRunState",
    tag: "Resume",
    summary: "What a resumed run replays from",
    auth: "apiKeyOrSession",
    params: stateRunIdParam,
    responses: { 200: "The run state", ...errors(401, 404) },
  },
  {
    method: "get",
    path: "/v1/run-state",
    operationId: "getRunStateByKey",
    tag: "Resume",
    summary: "Run state by workflow and idempotency key",
    auth: "apiKeyOrSession",
    query: byKeyQuery,
    responses: { 200: "The run state", ...errors(400, 401, 404) },
  },
  {
    method: "post",
    path: "/v1/runs/{id}/resume",
    operationId: "claimResume",
    tag: "Resume",
    summary: "Claim the resume of a reviewed run: one worker at a time, a lease renewed while it runs",
    auth: "apiKeyOrSession",
    params: stateRunIdParam,
    body: json("ResumeRequest"),
    responses: { 200: "Claimed, with the run's next epoch and the lease", ...errors(400, 401, 404, 409) },
  },
  {
    method: "post",
    path: "/v1/runs/{id}/resume/renew",
    operationId: "renewResume",
    tag: "Resume",
    summary: "Renew a resume claim (409 lease_lost once it lapsed or another worker took the run)",
    auth: "apiKeyOrSession",
    params: stateRunIdParam,
    body: json("ResumeRenewRequest"),
    responses: { 200: "Renewed", ...errors(400, 401, 404, 409) },
  },
  {
    method: "get",
    path: "/v1/resumable",
    operationId: "listResumable",
    tag: "Resume",
    summary: "Reviewed runs nobody has resumed yet, or whose resuming worker went away",
    auth: "apiKeyOrSession",
    query: resumableQuery,
    responses: { 200: "A page of resolved reviews", ...errors(400, 401) },
  },

  // ---- auth
  {
    method: "post",
    path: "/v1/auth/login",
    operationId: "login",
    tag: "Auth",
    summary: "Sign in; sets an HttpOnly session cookie",
    auth: "none",
    body: json("LoginRequest"),
    responses: { 200: "Signed in", ...errors(400, 401, 403, 413, 429) },
  },
  {
    method: "post",
    path: "/v1/auth/logout",
    operationId: "logout",
    tag: "Auth",
    summary: "Sign out",
    auth: "session",
    responses: { 204: "Signed out", ...errors(403) },
  },
  {
    method: "get",
    path: "/v1/auth/me",
    operationId: "me",
    tag: "Auth",
    summary: "The signed-in user",
    auth: "session",
    responses: { 200: "The user", ...errors(401) },
  },
  {
    method: "get",
    path: "/v1/people",
    operationId: "listPeople",
    tag: "Auth",
    summary: "Users of the project by id (or `user:<id>` actor): email and name",
    auth: "session",
    query: peopleQuery,
    responses: { 200: "The users found; ids of no user in the project are left out", ...errors(400, 401) },
  },

  // ---- policies
  {
    method: "get",
    path: "/v1/policies",
    operationId: "listPolicies",
    tag: "Policies",
    summary: "Served policies (ETag; 304 when unchanged)",
    auth: "apiKeyOrSession",
    query: policiesQuery,
    responses: { 200: "Policies", 304: "Unchanged since If-None-Match", ...errors(400, 401) },
  },
  {
    method: "get",
    path: "/v1/policies/history",
    operationId: "policyHistory",
    tag: "Policies",
    summary: "Append-only history of policy changes",
    auth: "session",
    query: historyQuery,
    responses: { 200: "A page of history", ...errors(400, 401, 403) },
  },
  {
    method: "put",
    path: "/v1/policies/{workflow}",
    operationId: "putWorkflowPolicy",
    tag: "Policies",
    summary: "Set a workflow's policy",
    auth: "session",
    params: workflowParam,
    body: json("PolicyRequest"),
    responses: { 200: "The policy", ...errors(400, 401, 403, 409, 413) },
  },
  {
    method: "put",
    path: "/v1/policies/{workflow}/steps/{step}",
    operationId: "putStepPolicy",
    tag: "Policies",
    summary: "Set a step's policy",
    auth: "session",
    params: stepParam,
    body: json("PolicyRequest"),
    responses: { 200: "The policy", ...errors(400, 401, 403, 409, 413) },
  },
  {
    method: "delete",
    path: "/v1/policies/{workflow}",
    operationId: "deleteWorkflowPolicy",
    tag: "Policies",
    summary: "Remove a workflow's policy",
    auth: "session",
    params: workflowParam,
    query: deleteQuery,
    responses: { 204: "Removed", ...errors(401, 403, 404) },
  },
  {
    method: "delete",
    path: "/v1/policies/{workflow}/steps/{step}",
    operationId: "deleteStepPolicy",
    tag: "Policies",
    summary: "Remove a step's policy",
    auth: "session",
    params: stepParam,
    query: deleteQuery,
    responses: { 204: "Removed", ...errors(401, 403, 404) },
  },

  // ---- review
  {
    method: "get",
    path: "/v1/escalations",
    operationId: "listEscalations",
    tag: "Review",
    summary: "The review queue, oldest or riskiest first",
    auth: "apiKeyOrSession",
    query: queueQuery,
    description:
      "Answers at once while another process holds the write lock or the disk is full, from what is projected: `Seamtrace-Stale` (locked, storage_full, unavailable), `Seamtrace-Projection-Lag` (events acknowledged but not shown; 0 when fresh) and `Seamtrace-Stale-Since` say how stale.",
    responses: { 200: "A page of escalations", ...errors(400, 401) },
  },
  {
    method: "get",
    path: "/v1/escalations/count",
    operationId: "countEscalations",
    tag: "Review",
    summary: "How many escalations the queue's filters match, in all and per day raised",
    auth: "apiKeyOrSession",
    query: queueCountQuery,
    description: '`{ total, byDay: [{ day: "YYYY-MM-DD", count }] }`: every matching item, not one page; days (UTC, by creation) with none are left out.',
    responses: { 200: "The counts", ...errors(400, 401) },
  },
  {
    method: "get",
    path: "/v1/escalations/{id}",
    operationId: "getEscalation",
    tag: "Review",
    summary: "One escalation with its review packet",
    auth: "apiKeyOrSession",
    params: escalationIdParam,
    responses: { 200: "The escalation", ...errors(401, 404) },
  },
  {
    method: "post",
    path: "/v1/escalations/{id}/claim",
    operationId: "claimEscalation",
    tag: "Review",
    summary: "Claim an escalation for review (claims expire)",
    auth: "session",
    params: escalationIdParam,
    responses: { 200: "Claimed", ...errors(401, 403, 404, 409) },
  },
  {
    method: "post",
    path: "/v1/escalations/{id}/decision",
    operationId: "decideEscalation",
    tag: "Review",
    summary: "Accept, correct or reject",
    description:
      "With `reviewers: N` in the step's policy the decision is recorded, and once N distinct reviewers have decided the consensus rule settles the escalation (the settled decision resumes the run and becomes the label) or makes it `disputed`. 409 `already_decided` for a second decision by the same reviewer, `disputed` once it awaits an adjudicator.",
    auth: "session",
    params: escalationIdParam,
    body: json("DecisionRequest"),
    responses: { 200: "Recorded, settled, or disputed", ...errors(400, 401, 403, 404, 409, 413) },
  },
  {
    method: "post",
    path: "/v1/escalations/{id}/adjudication",
    operationId: "adjudicateEscalation",
    tag: "Review",
    summary: "Settle a disputed escalation (admins and leads); final, recorded with the decisions it overrode",
    auth: "session",
    params: escalationIdParam,
    body: json("DecisionRequest"),
    responses: { 200: "Settled", ...errors(400, 401, 403, 404, 409, 413) },
  },
  {
    method: "post",
    path: "/v1/escalations/{id}/judgement",
    operationId: "judgeEscalation",
    tag: "Review",
    summary: "A judge's decision (API key): settles the escalation when sure, else hands it to people",
    auth: "apiKey",
    params: escalationIdParam,
    body: json("JudgementRequest"),
    responses: { 200: "`settled` or `to_people`", ...errors(400, 401, 403, 404, 409, 413) },
  },
  {
    method: "get",
    path: "/v1/review/judge-items",
    operationId: "listJudgeItems",
    tag: "Review",
    summary: "Items waiting on one judge, oldest first (its worker's poll)",
    auth: "apiKey",
    query: judgeItemsQuery,
    responses: { 200: "Items", ...errors(400, 401, 403) },
  },
  {
    method: "get",
    path: "/v1/review/judges",
    operationId: "listJudges",
    tag: "Review",
    summary: "Judges in front of steps (staged review)",
    auth: "session",
    responses: { 200: "Judges", ...errors(401, 403) },
  },
  {
    method: "put",
    path: "/v1/review/judges/{workflow}/steps/{step}",
    operationId: "putJudge",
    tag: "Review",
    summary: "Put a judge in front of a step's reviewers (admins); audited",
    auth: "session",
    params: judgeParam,
    body: json("JudgeRequest"),
    responses: { 200: "Updated", 201: "Created", ...errors(400, 401, 403, 413) },
  },
  {
    method: "delete",
    path: "/v1/review/judges/{workflow}/steps/{step}",
    operationId: "deleteJudge",
    tag: "Review",
    summary: "Remove a step's judge (admins); audited",
    auth: "session",
    params: judgeParam,
    responses: { 204: "Removed", ...errors(401, 403, 404) },
  },
  {
    method: "get",
    path: "/v1/review/groups",
    operationId: "listReviewGroups",
    tag: "Review",
    summary: "Review groups and their members",
    auth: "session",
    responses: { 200: "Groups", ...errors(401, 403) },
  },
  {
    method: "put",
    path: "/v1/review/groups/{name}",
    operationId: "putReviewGroup",
    tag: "Review",
    summary: "Set a review group's members and known-answer rate (admins); audited",
    auth: "session",
    params: groupParam,
    body: json("ReviewGroupRequest"),
    responses: { 200: "Updated", 201: "Created", ...errors(400, 401, 403, 413) },
  },
  {
    method: "delete",
    path: "/v1/review/groups/{name}",
    operationId: "deleteReviewGroup",
    tag: "Review",
    summary: "Remove a review group (admins); audited",
    auth: "session",
    params: groupParam,
    responses: { 204: "Removed", ...errors(401, 403, 404) },
  },
  {
    method: "get",
    path: "/v1/review/assignees",
    operationId: "reviewAssignees",
    tag: "Review",
    summary: "Per person: live claims, decisions in a window, items waiting in their queue",
    auth: "session",
    query: assigneesQuery(() => Date.now()),
    responses: { 200: "Counts", ...errors(400, 401, 403) },
  },
  {
    method: "get",
    path: "/v1/review/agreement",
    operationId: "raterAgreement",
    tag: "Review",
    summary: "Agreement between reviewers (and judges) per step, rater and pair: percent agreement, Fleiss' kappa, Krippendorff's alpha, Cohen's kappa",
    auth: "apiKeyOrSession",
    query: raterAgreementQuery(() => Date.now()),
    responses: { 200: "Agreement", ...errors(400, 401, 403) },
  },
  {
    method: "get",
    path: "/v1/review/accuracy",
    operationId: "reviewerAccuracy",
    tag: "Review",
    summary: "Each reviewer's accuracy on known-answer items, with a Wilson interval (admins)",
    auth: "session",
    query: windowQuery(() => Date.now(), 90),
    responses: { 200: "Accuracy", ...errors(400, 401, 403) },
  },
  {
    method: "get",
    path: "/v1/review/ageing",
    operationId: "queueAgeing",
    tag: "Review",
    summary: "Queue ageing per review group: decision time p50/p95, items past half their deadline, overdue",
    auth: "apiKeyOrSession",
    query: windowQuery(() => Date.now(), 1),
    responses: { 200: "Ageing", ...errors(400, 401, 403) },
  },

  // ---- audit
  {
    method: "get",
    path: "/v1/audit",
    operationId: "listAudit",
    tag: "Audit",
    summary: "Audit entries, newest first, by run, actor, action and time window",
    auth: "apiKeyOrSession",
    query: auditListQuery(() => Date.now()),
    responses: { 200: "A page of entries", ...errors(400, 401, 403, 429) },
  },
  {
    method: "get",
    path: "/v1/audit/export",
    operationId: "exportAudit",
    tag: "Audit",
    summary: "Stream matching entries with their payloads (JSONL or CSV) and whether each payload still hashes to its entry (`payloadIntact`); audited",
    auth: "apiKeyOrSession",
    query: auditExportQuery(() => Date.now()),
    responses: { 200: "application/x-ndjson or text/csv, oldest first", ...errors(400, 401, 403, 429) },
  },
  {
    method: "post",
    path: "/v1/audit/verifications",
    operationId: "startAuditVerification",
    tag: "Audit",
    summary:
      "Start a verification of the chain (or join the one running): recomputes every hash, payload and the Merkle tree, checks the signed checkpoints (also the copies outside the database the server is configured with) and the system anchor, names the first broken entry",
    description:
      "The walk is linear in the chain, so it runs in the background and this answers 202 with the verification at once (`Location` names it; poll it for `checked` / `upTo` and, once finished, `status` `passed`, `unanchored` (intact, but a tail older than the configured grace has no signed checkpoint or anchor: `report.unanchored`) or `broken` with the report). One runs per project at a time; a second request joins it. With `Prefer: wait=N` (N ≤ 30 seconds) the request waits up to N seconds and answers 200 with the finished verification if it ended in time. Read-only: it adds nothing to the audit trail.",
    auth: "apiKeyOrSession",
    responses: {
      200: "Finished within the preferred wait: `passed`, `unanchored` or `broken`, with the report",
      202: "Running: `checked` of `upTo` entries so far",
      ...errors(401, 403, 429, 503),
    },
  },
  {
    method: "get",
    path: "/v1/audit/verifications",
    operationId: "listAuditVerifications",
    tag: "Audit",
    summary: "The project's verifications, newest first (status, progress, report)",
    auth: "apiKeyOrSession",
    query: verificationListQuery,
    responses: { 200: "Verifications", ...errors(400, 401, 403) },
  },
  {
    method: "get",
    path: "/v1/audit/verifications/{id}",
    operationId: "getAuditVerification",
    tag: "Audit",
    summary:
      "One verification: `running` with its progress, `passed` / `unanchored` / `broken` with the report, `failed` with the error, or `abandoned` (its server went away)",
    auth: "apiKeyOrSession",
    params: verificationId,
    responses: { 200: "The verification", ...errors(400, 401, 403, 404) },
  },
  {
    method: "get",
    path: "/v1/audit/checkpoints",
    operationId: "listCheckpoints",
    tag: "Audit",
    summary: "The latest signed checkpoints, each with the RFC 6962 tree head (`rootHash`) over its entries",
    auth: "apiKeyOrSession",
    responses: { 200: "Checkpoints", ...errors(401, 403) },
  },
  {
    method: "get",
    path: "/v1/audit/public-key",
    operationId: "auditPublicKey",
    tag: "Audit",
    summary: "The Ed25519 key that verifies checkpoints",
    auth: "apiKeyOrSession",
    responses: { 200: "The key", ...errors(401) },
  },

  // ---- exports
  {
    method: "get",
    path: "/v1/exports/corrections",
    operationId: "exportCorrections",
    tag: "Exports",
    summary:
      "Stream reviewers' decisions (and, with include=labels, stand-alone labels; with include=reviews, every individual decision) as training data: JSONL, CSV or chat fine-tuning JSONL; audited",
    description:
      "One row per decision, oldest decision first: input, model output, corrected output, confidence, alternatives, reviewer, times, workflow, version, step, run and escalation ids, decision. `from`/`to` bound the decision time. `include` is a comma list of corrections (default), rejections, accepts, labels, reviews. Only escalations people settled are rows (a judge's or a deadline's settlement is not); `reviews` adds each reviewer's, judge's and adjudicator's own decision as a row of kind `review` or `adjudication`. Known-answer items are never exported. Chat rows skip rejections.",
    auth: "apiKeyOrSession",
    query: correctionsExportQuery,
    responses: { 200: "application/x-ndjson (jsonl, chat) or text/csv, streamed as an attachment", ...errors(400, 401, 403, 429, 503) },
  },

  // ---- golden sets
  {
    method: "post",
    path: "/v1/golden/results",
    operationId: "sendGoldenResult",
    tag: "Golden",
    summary:
      "Store the result of a `seamtrace golden run` (summary, regressions, case-by-case comparison), sent by CI with an API key or by an admin, under the executor's `id` when it sent the runs; audited",
    auth: "apiKeyOrSession",
    body: json("GoldenResultRequest"),
    responses: { 201: "Stored (`{ id }`)", ...errors(400, 401, 403, 409, 413, 415, 503) },
  },
  {
    method: "get",
    path: "/v1/golden/results",
    operationId: "listGoldenResults",
    tag: "Golden",
    summary: "Golden run results, newest first, by workflow and set",
    auth: "apiKeyOrSession",
    query: goldenResultsQuery,
    responses: { 200: "A page of results", ...errors(400, 401, 403) },
  },
  {
    method: "get",
    path: "/v1/golden/results/{id}",
    operationId: "getGoldenResult",
    tag: "Golden",
    summary: "One golden run result as sent (summary, regressions, comparison), with the runs of each changed case (`caseRuns`)",
    auth: "apiKeyOrSession",
    params: goldenResultIdParam,
    responses: { 200: "The result", ...errors(400, 401, 403, 404, 503) },
  },
  {
    method: "post",
    path: "/v1/golden/cases",
    operationId: "addGoldenCase",
    tag: "Golden",
    summary: "Make a resolved escalation's run a golden case (the reviewed step's decided output, other steps' recorded outputs); audited",
    description:
      "409 `not_resolved` while the escalation is open, `no_expected_output` when it was rejected, `purged` when retention removed the run's payloads, `duplicate` when it is already in the set.",
    auth: "session",
    body: json("GoldenCaseRequest"),
    responses: { 201: "Added (`{ id, set, caseId }`)", ...errors(400, 401, 403, 404, 409, 413, 415, 503) },
  },
  {
    method: "get",
    path: "/v1/golden/sets",
    operationId: "listGoldenSets",
    tag: "Golden",
    summary: "Golden sets made from reviews, with their case counts",
    auth: "apiKeyOrSession",
    responses: { 200: "Sets", ...errors(401, 403) },
  },
  {
    method: "get",
    path: "/v1/golden/sets/{set}/cases",
    operationId: "exportGoldenSet",
    tag: "Golden",
    summary: "A set's cases streamed as a golden set file (JSONL), runnable with `seamtrace golden run`",
    auth: "apiKeyOrSession",
    params: goldenSetParam,
    responses: { 200: "application/x-ndjson, one case a line, in the order added", ...errors(400, 401, 403, 404) },
  },

  // ---- retention
  {
    method: "get",
    path: "/v1/retention",
    operationId: "listRetention",
    tag: "Retention",
    summary: "Retention per workflow (default: full, kept forever)",
    auth: "apiKeyOrSession",
    responses: { 200: "Policies", ...errors(401, 403) },
  },
  {
    method: "put",
    path: "/v1/retention/{workflow}",
    operationId: "putRetention",
    tag: "Retention",
    summary: "Set a workflow's retention (admins); audited",
    auth: "session",
    params: retentionParam,
    body: json("RetentionRequest"),
    responses: { 200: "The policy", ...errors(400, 401, 403, 413, 415) },
  },

  // ---- webhooks
  {
    method: "post",
    path: "/v1/webhooks",
    operationId: "createWebhook",
    tag: "Webhooks",
    summary:
      "Register a webhook (the signing secret is shown once); loopback, private, link-local and metadata addresses answer 400 `url_not_allowed` unless SEAMTRACE_WEBHOOK_ALLOW lets them through",
    auth: "session",
    body: json("WebhookRequest"),
    responses: { 201: "Created", ...errors(400, 401, 403, 413) },
  },
  {
    method: "get",
    path: "/v1/webhooks",
    operationId: "listWebhooks",
    tag: "Webhooks",
    summary: "Webhooks of the project",
    auth: "session",
    responses: { 200: "Webhooks", ...errors(401, 403) },
  },
  {
    method: "delete",
    path: "/v1/webhooks/{id}",
    operationId: "disableWebhook",
    tag: "Webhooks",
    summary: "Disable a webhook",
    auth: "session",
    params: webhookIdParam,
    responses: { 204: "Disabled", ...errors(401, 403, 404) },
  },
  {
    method: "get",
    path: "/v1/webhooks/{id}/deliveries",
    operationId: "listDeliveries",
    tag: "Webhooks",
    summary: "Delivery log of a webhook",
    auth: "session",
    params: webhookIdParam,
    query: deliveriesQuery,
    responses: { 200: "A page of deliveries", ...errors(400, 401, 403, 404) },
  },
  // ---- jobs
  {
    method: "get",
    path: "/v1/jobs",
    operationId: "listJobs",
    tag: "Jobs",
    summary: "The scheduled jobs, their schedules, and whether this server runs them",
    auth: "apiKeyOrSession",
    responses: { 200: "Jobs", ...errors(401, 403) },
  },
  {
    method: "get",
    path: "/v1/jobs/runs",
    operationId: "listJobRuns",
    tag: "Jobs",
    summary: "Job runs, newest first: start, end, rows read, outcome, error",
    auth: "apiKeyOrSession",
    query: jobRunsQuery,
    responses: { 200: "A page of runs", ...errors(400, 401, 403) },
  },
  {
    method: "post",
    path: "/v1/jobs/{name}/run",
    operationId: "runJob",
    tag: "Jobs",
    summary: "Run a job now (admins); 409 while it runs here or on another instance",
    auth: "session",
    params: jobParam,
    query: jobRunQuery,
    responses: { 200: "The finished run", 202: "Started (`wait=false`)", ...errors(400, 401, 403, 404, 409) },
  },

  // ---- analytics: hourly rollups over a bounded window
  {
    method: "get",
    path: "/v1/analytics/series",
    operationId: "listSeries",
    tag: "Analytics",
    summary: "Workflow × version × step series with data in a window",
    auth: "apiKeyOrSession",
    query: listSeriesQuery(() => Date.now()),
    responses: { 200: "Series", ...errors(400, 401, 403) },
  },
  {
    method: "get",
    path: "/v1/analytics/calibration",
    operationId: "calibration",
    tag: "Analytics",
    summary: "Reliability bins with Wilson intervals, ECE, MCE, Brier, over a window and as a trend",
    auth: "apiKeyOrSession",
    query: seriesQuery(() => Date.now()),
    responses: { 200: "Calibration", ...errors(400, 401, 403) },
  },
  {
    method: "get",
    path: "/v1/analytics/escalations",
    operationId: "escalationRates",
    tag: "Analytics",
    summary: "Escalation, flag, spot-check and auto-completion rates with change detection",
    auth: "apiKeyOrSession",
    query: seriesQuery(() => Date.now()),
    responses: { 200: "Rates", ...errors(400, 401, 403) },
  },
  {
    method: "get",
    path: "/v1/analytics/drift",
    operationId: "drift",
    tag: "Analytics",
    summary:
      "Drift of confidence, numeric and categorical outputs and features against a baseline window (by default the drift job's: the last day against the 7 before): PSI and a distance for the level, KS or chi-square corrected by Benjamini-Hochberg as the guard",
    auth: "apiKeyOrSession",
    query: driftQuery(() => Date.now(), { currentHours: 24, baselineHours: 168 }),
    responses: { 200: "The drift report", ...errors(400, 401, 403) },
  },
  {
    method: "get",
    path: "/v1/analytics/latency",
    operationId: "latency",
    tag: "Analytics",
    summary: "Step latency quantiles",
    auth: "apiKeyOrSession",
    query: seriesQuery(() => Date.now()),
    responses: { 200: "Quantiles", ...errors(400, 401, 403) },
  },
  {
    method: "get",
    path: "/v1/analytics/agreement",
    operationId: "agreement",
    tag: "Analytics",
    summary: "An automated judge against reviewer labels: confusion matrix, accuracy, Cohen's kappa",
    auth: "apiKeyOrSession",
    query: agreementQuery(() => Date.now()),
    responses: { 200: "Agreement", ...errors(400, 401, 403) },
  },
  {
    method: "get",
    path: "/v1/analytics/calibration-maps",
    operationId: "calibrationMaps",
    tag: "Analytics",
    summary: "Recalibration maps (isotonic) per workflow step",
    auth: "apiKeyOrSession",
    responses: { 200: "Maps", ...errors(401, 403) },
  },
  {
    method: "get",
    path: "/v1/metrics",
    operationId: "metricValues",
    tag: "Analytics",
    summary: "Values the jobs stored for one metric (calibration.ece, escalation.rate.steps, escalation.rate.runs, drift.level, …)",
    auth: "apiKeyOrSession",
    query: metricsQuery(() => Date.now()),
    responses: { 200: "Values, oldest first", ...errors(400, 401, 403) },
  },

  // ---- alerts and thresholds
  {
    method: "get",
    path: "/v1/alerts",
    operationId: "listAlerts",
    tag: "Alerts",
    summary: "Alerts, firing or resolved",
    auth: "apiKeyOrSession",
    query: alertsQuery(() => Date.now()),
    responses: { 200: "Alerts", ...errors(400, 401, 403) },
  },
  {
    method: "get",
    path: "/v1/alerts/rules",
    operationId: "listAlertRules",
    tag: "Alerts",
    summary: "Alert rules, the built-in drift rule first",
    auth: "apiKeyOrSession",
    responses: { 200: "Rules", ...errors(401, 403) },
  },
  {
    method: "post",
    path: "/v1/alerts/rules",
    operationId: "createAlertRule",
    tag: "Alerts",
    summary: "Add a rule `metric op threshold` (admins)",
    auth: "session",
    body: json("AlertRuleRequest"),
    responses: { 201: "Created", ...errors(400, 401, 403, 409, 413, 415) },
  },
  {
    method: "delete",
    path: "/v1/alerts/rules/{id}",
    operationId: "disableAlertRule",
    tag: "Alerts",
    summary: "Disable a rule (admins); its alerts resolve",
    auth: "session",
    params: analyticsIdParam,
    responses: { 204: "Disabled", ...errors(401, 403, 404) },
  },
  {
    method: "get",
    path: "/v1/thresholds/changes",
    operationId: "listThresholdChanges",
    tag: "Alerts",
    summary: "Auto-tighten decisions with their evidence",
    auth: "apiKeyOrSession",
    query: thresholdChangesQuery,
    responses: { 200: "Changes", ...errors(400, 401, 403) },
  },
  {
    method: "post",
    path: "/v1/thresholds/changes/{id}/revert",
    operationId: "revertThresholdChange",
    tag: "Alerts",
    summary: "Revert an auto-tightening (admins)",
    auth: "session",
    params: analyticsIdParam,
    body: json("RevertRequest"),
    responses: { 200: "Reverted, with the policy", ...errors(400, 401, 403, 404, 409, 413, 415) },
  },
];
