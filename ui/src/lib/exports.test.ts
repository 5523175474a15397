import { describe, expect, it } from "vitest";
import { exportCommand, exportHref, exportProblems, exportQuery, type ExportChoice } from "./exports.js";

const base: ExportChoice = { format: "jsonl", workflow: "", version: "", step: "", from: "", to: "", include: ["corrections"] };

describe("export choice", () => {
  it("asks for nothing beyond the server's defaults when nothing is chosen", () => {
    expect(exportHref(base)).toBe("/v1/exports/corrections");
  });

  it("turns dates into whole UTC days and lists the kinds included", () => {
    const q = exportQuery({ ...base, format: "csv", workflow: "roof claims", from: "2026-03-01", to: "2026-03-02", include: ["labels", "corrections"] });
    expect(q).toMatchObject({
      format: "csv",
      workflow: "roof claims",
      from: "2026-03-01T00:00:00.000Z",
      to: "2026-03-03T00:00:00.000Z",
      include: "corrections,labels",
    });
    expect(exportHref({ ...base, workflow: "a&b" })).toBe("/v1/exports/corrections?workflow=a%26b");
  });

  it("names what the server would refuse", () => {
    expect(exportProblems(base)).toEqual([]);
    expect(exportProblems({ ...base, include: [] })).toHaveLength(1);
    expect(exportProblems({ ...base, step: "classify" })).toEqual(["A step needs a workflow."]);
    expect(exportProblems({ ...base, from: "2026-03-05", to: "2026-03-01" })).toHaveLength(1);
  });

  it("gives the same export as a shell-safe CLI command", () => {
    expect(exportCommand({ ...base, format: "chat", workflow: "it's", step: "classify" })).toBe(
      "seamtrace export corrections --format chat --workflow 'it'\\''s' --step classify --out corrections.jsonl",
    );
  });
});
