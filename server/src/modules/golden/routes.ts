import { Hono } from "hono";
import {
  encodeResultsCursor,
  goldenCaseBody,
  goldenResultBody,
  goldenResultIdParam,
  goldenResultsQuery,
  goldenSetParam,
  MAX_RESULT_BYTES,
  type GoldenCaseCreated,
  type GoldenResultCreated,
  type GoldenResultDetail,
  type GoldenResultsResponse,
  type GoldenSetsResponse,
} from "./contract.js";
import type { AppDeps, AppEnv } from "../../app/deps.js";
import { AppError, notFound } from "../../platform/http/errors.js";
import { projected } from "../runs/projected.js";
import { goldenCaseRuns } from "../runs/store.js";
import { requireAuth } from "../auth/require-auth.js";
import { jsonLimits, validate } from "../../platform/http/validate.js";
import { addGoldenCase, getGoldenResult, goldenSetExists, insertGoldenResult, listGoldenResults, listGoldenSets, streamGoldenCases } from "./store.js";
import { recordAudit } from "../audit/store.js";

/**
 * Golden sets on the server: results of `seamtrace golden run` (sent by CI with an API
 * key or by an admin, read by analysts), and golden cases made from reviewed escalations, downloadable as a
 * set file. Results are measurements, so they are for admins, analysts and scripts; adding a
 * case is a reviewer's judgement, so it is for admins and reviewers, never a key.
 */
export function goldenRoutes(deps: AppDeps) {
  const measurers = requireAuth(deps, { apiKey: true, roles: ["admin", "analyst"] });
  // Analysts read results and change nothing: results are sent by CI (a key) or by an admin.
  const senders = requireAuth(deps, { apiKey: true, roles: ["admin"] });
  const curators = requireAuth(deps, { roles: ["admin", "reviewer"] });
  const readers = requireAuth(deps, { apiKey: true, roles: ["admin", "analyst", "reviewer"] });

  return (
    new Hono<AppEnv>()
      .post("/golden/results", senders, validate("json", goldenResultBody, jsonLimits(deps, { maxBytes: MAX_RESULT_BYTES })), async (c) => {
        const { projectId, actor } = c.get("principal");
        const outcome = await insertGoldenResult(deps.store.client, { projectId, actor, body: c.req.valid("json"), now: deps.now() });
        if (outcome.status === "duplicate") throw new AppError(409, "duplicate", `golden result ${outcome.id} is already stored`, { id: outcome.id });
        const body: GoldenResultCreated = { id: outcome.id };
        return c.json(body, 201);
      })
      .get("/golden/results", measurers, validate("query", goldenResultsQuery), async (c) => {
        const q = c.req.valid("query");
        const page = await listGoldenResults(deps.store.db, c.get("principal").projectId, q);
        const body: GoldenResultsResponse = { items: page.items, nextCursor: page.last ? encodeResultsCursor(page.last) : null };
        return c.json(body);
      })
      // Projected first: the result's runs arrive through ingest, and the answer links them.
      .get("/golden/results/:id", measurers, validate("param", goldenResultIdParam), projected(deps), async (c) => {
        const { projectId } = c.get("principal");
        const result = await getGoldenResult(deps.store.db, projectId, c.req.valid("param").id);
        if (!result) throw notFound("golden result");
        const cases = result.comparison?.changes.map((ch) => ch.case) ?? [];
        const body: GoldenResultDetail = { ...result, caseRuns: await goldenCaseRuns(deps.store.db, projectId, result.id, cases) };
        return c.json(body);
      })
      .post(
        "/golden/cases",
        curators,
        validate("json", goldenCaseBody, jsonLimits(deps, { maxBytes: 4 * 1024 })),
        // The case is the run as recorded: see every acknowledged step of it.
        projected(deps),
        async (c) => {
          const { projectId, actor } = c.get("principal");
          const { escalationId, set } = c.req.valid("json");
          const outcome = await addGoldenCase(deps.store.client, { projectId, actor, escalationId, set, now: deps.now() });
          switch (outcome.status) {
            case "not_found":
              throw notFound("escalation");
            case "not_resolved":
              throw new AppError(409, "not_resolved", "the escalation is still open: decide it first, then its decided output is the expected one");
            case "purged":
              throw new AppError(409, "purged", "retention already removed this run's input and intermediate outputs, so it cannot be a golden case");
            case "no_expected_output":
              throw new AppError(409, "no_expected_output", "the escalation was rejected without a right answer, so it cannot be a golden case");
            case "duplicate":
              throw new AppError(409, "duplicate", `the escalation is already case ${outcome.caseId} of set "${set}"`, { caseId: outcome.caseId });
            case "created": {
              const body: GoldenCaseCreated = { id: outcome.id, set, caseId: outcome.caseId };
              return c.json(body, 201);
            }
          }
        },
      )
      .get("/golden/sets", readers, async (c) => {
        const body: GoldenSetsResponse = { items: await listGoldenSets(deps.store.db, c.get("principal").projectId) };
        return c.json(body);
      })
      .get("/golden/sets/:set/cases", readers, validate("param", goldenSetParam), async (c) => {
        const { projectId } = c.get("principal");
        const { set } = c.req.valid("param");
        // An unknown set is a 404, not an empty file a script would take for a set with no cases.
        if (!(await goldenSetExists(deps.store.db, projectId, set))) throw notFound("golden set");
        // A set holds runs' inputs: downloading it is an export, recorded like the others.
        await recordAudit(deps.store.client, projectId, [
          { time: deps.now(), actor: c.get("principal").actor, action: "export.golden", subject: `golden-set:${set}`, payload: { set } },
        ]);
        const lines = streamGoldenCases(deps.store.client, projectId, set);
        const encoder = new TextEncoder();
        const body = new ReadableStream<Uint8Array>({
          async pull(controller) {
            let chunk = "";
            while (chunk.length < 16 * 1024) {
              const next = await lines.next();
              if (next.done) {
                if (chunk) controller.enqueue(encoder.encode(chunk));
                controller.close();
                return;
              }
              chunk += next.value;
            }
            controller.enqueue(encoder.encode(chunk));
          },
          async cancel() {
            await lines.return(undefined);
          },
        });
        return new Response(body, {
          headers: { "content-type": "application/x-ndjson", "content-disposition": `attachment; filename="${set}.jsonl"`, "cache-control": "no-store" },
        });
      })
  );
}
