import type { IngestItemResult, IngestResponse, SeamtraceEvent } from "@seamtrace/sdk";
import { Hono } from "hono";
import type { Limits } from "../../app/config.js";
import { parseEvent } from "./contract.js";
import type { AppDeps, AppEnv } from "../../app/deps.js";
import { AppError, badRequest, unavailable } from "../../platform/http/errors.js";
import { recordIngest } from "../../platform/metrics.js";
import { requireApiKey } from "../auth/api-key-auth.js";
import { arrayMemberElements } from "./json-elements.js";
import { jsonBody } from "../../platform/http/body.js";
import { ingestWriter, type IngestOutcome } from "./store.js";
import { WriteQueueClosedError, WriteQueueFullError } from "../../platform/db/write-queue.js";

/** Seconds a client is told to wait when the store cannot take writes right now. */
const RETRY_AFTER_SECONDS = 1;

/**
 * The collector. Every item is validated on its own and answered on its own; the
 * answer is sent only after the transaction holding every accepted event has committed.
 */
export function eventsRoutes(deps: AppDeps) {
  const limits = deps.config.limits;

  return new Hono<AppEnv>().post("/events", requireApiKey(deps), jsonBody({ maxBytes: limits.maxBodyBytes }), async (c) => {
    const items = batchItems(c.get("jsonBody"), limits);
    const { projectId, keyId } = c.get("principal");
    if (!keyId) throw new AppError(401, "unauthorized", "ingest takes a project API key");
    const { store, projector } = deps.stores.forProject(projectId);

    const results: IngestItemResult[] = new Array<IngestItemResult>(items.length);
    const accepted: SeamtraceEvent[] = [];
    const bodies: Array<Uint8Array | undefined> = [];
    const positions: number[] = [];
    const rejectedCodes: string[] = [];
    // Where each item's text lies in the request, so an event accepted as sent is stored as sent
    // rather than serialised again (lib/json-elements.ts).
    const bytes = c.get("jsonBytes");
    const spans = arrayMemberElements(bytes, "events");
    const usable = spans !== null && spans.start.length === items.length;
    items.forEach((item, i) => {
      const parsed = parseEvent(item, limits);
      if (!parsed.ok) {
        rejectedCodes.push(parsed.code);
        results[i] = { id: parsed.id, status: "rejected", code: parsed.code, message: parsed.message };
      } else {
        // An id repeated within the batch is settled by the store like any repeat: a duplicate
        // or a conflict, against what it stores.
        accepted.push(parsed.event);
        // As sent only when nothing was stripped and no name repeats (JSON.parse keeps one of a
        // repeated name's values; the text would keep both).
        bodies.push(usable && parsed.asIs && parsed.keys === spans.keys[i] ? bytes.subarray(spans.start[i], spans.end[i]) : undefined);
        positions.push(i);
      }
    });

    const tally = { accepted: 0, duplicate: 0, conflict: 0 };
    if (accepted.length > 0) {
      let outcomes: IngestOutcome;
      try {
        outcomes = await ingestWriter(store).submit({ projectId, keyId, receivedAt: deps.now(), events: accepted, bodies, fold: projector.foldAppended });
      } catch (err) {
        throw storeFailure(err);
      }
      outcomes.forEach((o) => tally[o]++);
      projector.notify();
      accepted.forEach((e, j) => {
        const i = positions[j]!;
        // The id as the client sent it (it may be in upper case), so it can match its items.
        const id = (items[i] as { id: string }).id;
        const outcome = outcomes[j]!;
        results[i] =
          outcome === "conflict"
            ? { id, status: "conflict", message: `event ${e.id} was stored before with different content; the stored event stands and nothing changed` }
            : { id, status: outcome };
      });
    }

    recordIngest("events", { ...tally, rejectedCodes });
    const body: IngestResponse = { results };
    // 207 whenever an item was not taken as sent: a rejection or a conflict names a mistake.
    return c.json(body, rejectedCodes.length > 0 || tally.conflict > 0 ? 207 : 200);
  });
}

/** The envelope `{ events: [...] }`; anything else is malformed as a whole. */
function batchItems(body: unknown, limits: Limits): unknown[] {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw badRequest("invalid_envelope", 'the body must be a JSON object { "events": [...] }');
  }
  const events = (body as { events?: unknown }).events;
  if (!Array.isArray(events)) throw badRequest("invalid_envelope", '"events" must be an array of events');
  if (events.length > limits.maxBatchEvents) {
    throw new AppError(413, "too_many_events", `a batch holds at most ${limits.maxBatchEvents} events, got ${events.length}`, {
      maxBatchEvents: limits.maxBatchEvents,
    });
  }
  return events;
}

/** Store trouble the client can retry becomes a 503 with Retry-After; anything else is ours (500). */
export function storeFailure(err: unknown): unknown {
  if (err instanceof WriteQueueClosedError) return unavailable("the server is shutting down; retry shortly", RETRY_AFTER_SECONDS);
  if (err instanceof WriteQueueFullError) return unavailable("the collector is overloaded; retry shortly", RETRY_AFTER_SECONDS);
  return err;
}
