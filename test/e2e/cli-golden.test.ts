import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

/** `seamtrace golden run` as a user runs it: its own process, judged by exit code and output. */

let dir: string;
const repo = resolve(import.meta.dirname, "../..");

// A two-step workflow module in plain JS, as a user would pass with --workflow. LABEL_BAD makes
// every third case's label wrong: a regressed model version.
const toy = (bad: boolean) => `
export function createGoldenWorkflow(st) {
  const wf = st.workflow("toy", { version: ${JSON.stringify(bad ? "2" : "1")} });
  return {
    run: (input) => wf.run({ input }, async (run) => {
      const d = await run.step("double", { input }, () => ({ value: input * 2, confidence: 0.99 }));
      const l = await run.step("label", { from: [d] }, () => ({ value: ${bad} && input % 3 === 0 ? "odd" : d.value % 4 === 0 ? "four" : "two", confidence: 0.9 }));
      return l.value;
    }),
  };
}
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "seamtrace-cli-golden-"));
  writeFileSync(join(dir, "good.mjs"), toy(false));
  writeFileSync(join(dir, "bad.mjs"), toy(true));
  const lines = Array.from({ length: 12 }, (_, i) =>
    JSON.stringify({ id: `n${i + 1}`, input: i + 1, expected: { double: (i + 1) * 2, label: ((i + 1) * 2) % 4 === 0 ? "four" : "two" } }),
  );
  writeFileSync(join(dir, "toy.jsonl"), lines.join("\n") + "\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[]) => runCli(args, { dataDir: dir, cwd: dir, timeoutMs: 180_000 });

describe("seamtrace golden run", () => {
  it("stores a baseline, passes against it, and fails a regressing version with exit 1 naming the step", async () => {
    const stored = await cli(["golden", "run", "toy.jsonl", "--workflow", "good.mjs", "--update-baseline"]);
    expect(stored.code, stored.stderr).toBe(0);
    expect(stored.stdout).toContain("baseline stored in");
    expect(stored.stdout).toMatch(/label/);

    const same = await cli(["golden", "run", "toy.jsonl", "--workflow", "good.mjs", "--json"]);
    expect(same.code, same.stderr).toBe(0);
    expect(JSON.parse(same.stdout)).toMatchObject({ baseline: { state: "compared" }, regressions: [], workflow: "toy", version: "1" });

    const worse = await cli(["golden", "run", "toy.jsonl", "--workflow", "bad.mjs", "--junit", "junit.xml", "--max-new-failures", "0"]);
    expect(worse.code).toBe(1);
    expect(worse.stderr).toContain(
      'regression in step "label": 4 newly failing cases, 0 newly passing (more than --max-new-failures 0); accuracy 66.7%, baseline 100.0%',
    );
    expect(worse.stderr).not.toContain('step "double"');
    expect(readFileSync(join(dir, "junit.xml"), "utf8")).toContain('failures="4"');
  });

  it("exits 2 for an invalid set, and 1 for a module without createGoldenWorkflow", async () => {
    writeFileSync(join(dir, "broken.jsonl"), '{"id":"a"}\n');
    const invalid = await cli(["golden", "run", "broken.jsonl", "--workflow", "good.mjs"]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('line 1: missing "input"');
    writeFileSync(join(dir, "empty.mjs"), "export const x = 1;\n");
    const noExport = await cli(["golden", "run", "toy.jsonl", "--workflow", "empty.mjs"]);
    expect(noExport.code).toBe(1);
    expect(noExport.stderr).toContain("does not export a function createGoldenWorkflow");
  });

  it("runs the committed claims golden set through the built claims workflow", async () => {
    const r = await cli([
      "golden",
      "run",
      join(repo, "golden/sets/claims.jsonl"),
      "--workflow",
      join(repo, "examples/claims/dist/golden.js"),
      "--baseline",
      join(dir, "claims.baseline.json"),
      "--update-baseline",
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { summary: { cases: number; steps: Array<{ step: string; accuracy: number }> } };
    expect(report.summary.cases).toBeGreaterThanOrEqual(300);
    expect(report.summary.steps.map((s) => s.step)).toContain("route");
  });
});
