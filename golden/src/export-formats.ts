/**
 * Row formats of a correction export: JSONL, CSV and chat fine-tuning JSONL. Each turns
 * one row into one chunk of text, so an export is streamed row by row in constant memory; the
 * store side (paging reviews) and the route/CLI wrap these.
 */
import { stringify } from "csv-stringify/sync";

/**
 * Where a row comes from: a decided escalation of that kind, a label posted on its own
 * (`POST /v1/labels`: `feedback`; golden labels: `golden`), or one individual decision on an
 * escalation several people decided (`review`: a reviewer's or a judge's; `adjudication`: the
 * adjudicator's, which settled a dispute).
 */
export type CorrectionRowKind = "escalate" | "flag" | "spot_check" | "feedback" | "golden" | "review" | "adjudication";

/** One reviewer correction (or label) as exported. */
export interface CorrectionRow {
  /** Null for a label row. */
  escalationId: string | null;
  /**
   * Set for a label row (a decision's own label is the escalation row), and for a `review` or
   * `adjudication` row, where it is that decision's id.
   */
  labelId: string | null;
  kind: CorrectionRowKind;
  runId: string;
  stepId: string;
  workflow: string;
  version: string;
  step: string;
  input: unknown;
  /** What the model produced. */
  output: unknown;
  /** What the reviewer said it should be (`output` when accepted). */
  corrected: unknown;
  decision: "accept" | "correct" | "reject";
  confidence: number | null;
  alternatives: unknown[] | null;
  reviewer: string | null;
  reason: string | null;
  /** ISO times: when the output went to review (label rows: when the label came), and when it was decided. */
  createdAt: string;
  resolvedAt: string;
}

export type ExportFormat = "jsonl" | "csv" | "chat";
export const EXPORT_FORMATS: readonly ExportFormat[] = ["jsonl", "csv", "chat"];

export const CSV_COLUMNS = [
  "escalationId",
  "labelId",
  "kind",
  "runId",
  "stepId",
  "workflow",
  "version",
  "step",
  "decision",
  "confidence",
  "input",
  "output",
  "corrected",
  "alternatives",
  "reviewer",
  "reason",
  "createdAt",
  "resolvedAt",
] as const satisfies ReadonlyArray<keyof CorrectionRow>;

/**
 * Cells that hold a JSON value, always as JSON text: `null` is "null", so a correction to JSON
 * null and a rejection (no corrected output, also null) stay apart from an empty cell. The other
 * cells are plain text, empty for null.
 */
export const CSV_JSON_COLUMNS: ReadonlySet<string> = new Set(["input", "output", "corrected", "alternatives"]);

const json = (v: unknown) => (v === undefined ? "" : JSON.stringify(v));

/**
 * A plain text cell (names, versions, reviewer, reason: any API key holder or reviewer chose
 * them) that a spreadsheet would run as a formula gets a leading `'`, as OWASP advises for CSV
 * injection and as the audit CSV does. JSON cells need none: valid JSON never starts with =, +,
 * @, a tab or CR, and one starting with - is a plain negative number.
 */
function textCell(s: string): string {
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

/** The header chunk of a format (CSV only). */
export function exportHeader(format: ExportFormat): string {
  return format === "csv" ? stringify([[...CSV_COLUMNS]]) : "";
}

/**
 * One row in a format. CSV cells holding JSON are JSON text, quoted by csv-stringify (RFC 4180).
 * Chat rows are OpenAI-style `{ messages: [system, user, assistant] }` with the corrected output
 * as the assistant's answer; a rejected output has no right answer and yields nothing.
 */
export function exportRow(format: ExportFormat, row: CorrectionRow): string {
  switch (format) {
    case "jsonl":
      return JSON.stringify(row) + "\n";
    case "csv":
      return stringify([
        CSV_COLUMNS.map((c) => {
          const v = row[c];
          if (CSV_JSON_COLUMNS.has(c)) return json(v);
          return v === null || v === undefined ? "" : textCell(String(v));
        }),
      ]);
    case "chat":
      if (row.decision === "reject") return "";
      return (
        JSON.stringify({
          messages: [
            { role: "system", content: `You perform the "${row.step}" step of the "${row.workflow}" workflow. Answer with JSON only.` },
            { role: "user", content: JSON.stringify(row.input) },
            { role: "assistant", content: JSON.stringify(row.corrected) },
          ],
        }) + "\n"
      );
  }
}
