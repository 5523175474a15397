import { CLAIMS_GOLDEN_SET, goldenCases } from "@seamtrace/example-claims/golden";
import { STEP_NAMES } from "@seamtrace/example-claims";
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parseGoldenSet, serializeGoldenSet } from "./golden-set.js";

const path = new URL("../sets/claims.jsonl", import.meta.url);

describe("golden/sets/claims.jsonl", () => {
  it("is a valid set of at least 300 cases, each expecting the output of all five steps", async () => {
    const set = parseGoldenSet(await readFile(path, "utf8"), { name: "claims.jsonl" });
    expect(set.cases.length).toBeGreaterThanOrEqual(300);
    for (const c of set.cases) expect(Object.keys(c.expected).sort()).toEqual([...STEP_NAMES].sort());
  });

  it("is exactly what the generator makes (regenerate with golden/scripts/make-claims-set.ts)", async () => {
    expect(await readFile(path, "utf8")).toBe(serializeGoldenSet(goldenCases(CLAIMS_GOLDEN_SET)));
  });
});
