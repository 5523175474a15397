import { sql } from "drizzle-orm";
import { parseJson } from "../../platform/db/json.js";
import { runs } from "./schema.js";
import { eventBody } from "./step-payload.js";

/**
 * A run's input and output, read from the bodies of the events that carried them: the
 * `run.started` its `input_seq` names and the report that set its status (`output_seq`). The log
 * holds each payload once, compressed; the run's row only where to find it. A row projected before
 * those columns holds the JSON text itself (`input`, `output`), read while its seq is null.
 *
 * Each body is one primary-key lookup of `events` (the project checked too: a seq is global, a
 * run belongs to its project).
 */
const bodyAt = (r: string, column: "input_seq" | "output_seq") =>
  `(SELECT body FROM events WHERE events.seq = ${r}.${column} AND events.project_key = ${r}.project_key)`;

/** For a `runs` row aliased `r`: the columns `runPayload` reads, input first, then output. */
export const runPayloadColumns = (r: string) =>
  `${r}.input_seq, ${bodyAt(r, "input_seq")}, ${r}.input, ${r}.output_seq, ${bodyAt(r, "output_seq")}, ${r}.output`;

/** The same columns for a drizzle select over `runs`. */
export const runPayloadFields = {
  inputSeq: runs.inputSeq,
  inputBody: sql<unknown>`${sql.raw(bodyAt('"runs"', "input_seq"))}`,
  inputText: runs.input,
  outputSeq: runs.outputSeq,
  outputBody: sql<unknown>`${sql.raw(bodyAt('"runs"', "output_seq"))}`,
  outputText: runs.output,
};

/** One of a run's payloads: from the body of the event its seq names, or the text of an older row. */
function payload(seq: unknown, body: unknown, text: unknown, field: "input" | "output"): unknown {
  if (seq === null || seq === undefined) return parseJson(text === null || text === undefined ? null : String(text));
  // An event reduced by retention (`final` drops the run's input), or gone, has none.
  return eventBody(body)?.[field] ?? null;
}

/** A run's input and output from `runPayloadColumns` (six values from `at`) or `runPayloadFields`. */
export function runPayload(row: ArrayLike<unknown> | Record<keyof typeof runPayloadFields, unknown>, at = 0): { input: unknown; output: unknown } {
  if ("inputSeq" in row) {
    return { input: payload(row.inputSeq, row.inputBody, row.inputText, "input"), output: payload(row.outputSeq, row.outputBody, row.outputText, "output") };
  }
  const r = row as ArrayLike<unknown>;
  return { input: payload(r[at], r[at + 1], r[at + 2], "input"), output: payload(r[at + 3], r[at + 4], r[at + 5], "output") };
}
