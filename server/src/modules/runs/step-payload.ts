import { and, eq, sql } from "drizzle-orm";
import { fromStoredText } from "../../platform/db/stored-text.js";
import { events } from "../ingest/schema.js";
import { steps } from "./schema.js";

/**
 * A step's payloads, read from the body of the event its `steps` row was projected from
 * (`steps.event_seq`): the log holds them once, and the row only what is queried. Absent fields
 * read as null, as the columns that used to repeat them did; so does a row whose event is gone.
 */
export interface StepPayload {
  parents: string[];
  input: unknown;
  output: unknown;
  /** The output's JSON text, null when the event has none (a JSON null is "null"): for comparisons and size budgets. */
  outputText: string | null;
  /** Free text on the wire (not a JSON payload). */
  reasoning: string | null;
  alternatives: unknown;
  features: unknown;
  attemptErrors: unknown;
  error: unknown;
  gate: unknown;
}

const NONE: StepPayload = {
  parents: [],
  input: null,
  output: null,
  outputText: null,
  reasoning: null,
  alternatives: null,
  features: null,
  attemptErrors: null,
  error: null,
  gate: null,
};

/**
 * Joined to a `steps` row aliased `s`, the event it was projected from as `ev` (project checked
 * too: a seq is global, a step belongs to its project; both tables name it by its key,
 * platform/db/project-key.ts). The primary key lookup costs one B-tree search per row.
 */
export const STEP_EVENT_JOIN = "LEFT JOIN events ev ON ev.seq = s.event_seq AND ev.project_key = s.project_key";

/** `STEP_EVENT_JOIN`'s condition for a drizzle query over `steps` joining `events`. */
export const stepEventOn = and(eq(events.seq, steps.eventSeq), sql`${events.projectKey} = ${steps.projectKey}`);

/**
 * An event body as the store returned it (TEXT, or a compressed BLOB), parsed; null for none, or
 * for a body that does not decompress or is not a JSON object, so one damaged event never fails
 * a page (the audit verification is what reports it).
 */
export function eventBody(body: unknown): Record<string, unknown> | null {
  if (body === null || body === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(fromStoredText(body));
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The payloads in a step event's stored body (`eventBody`); none when it gives none. */
export function stepPayload(body: unknown): StepPayload {
  const e = eventBody(body);
  if (e === null) return NONE;
  const value = (k: string) => (e[k] === undefined ? null : e[k]);
  return {
    // Edges are drawn from these ids, so anything but an array of strings counts as no parents.
    parents: Array.isArray(e.parents) ? e.parents.filter((p): p is string => typeof p === "string") : [],
    input: value("input"),
    output: value("output"),
    outputText: e.output === undefined ? null : JSON.stringify(e.output),
    reasoning: typeof e.reasoning === "string" ? e.reasoning : null,
    alternatives: value("alternatives"),
    features: value("features"),
    attemptErrors: value("attemptErrors"),
    error: value("error"),
    gate: value("gate"),
  };
}
