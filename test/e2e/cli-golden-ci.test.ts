import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { junitSchemaProblems } from "../support/junit-schema.js";

/**
 * `seamtrace golden run` in CI: exit code, JUnit that is red exactly when the run fails and
 * valid against junit-10.xsd, and Markdown for a pull-request comment.
 */
let dir: string;

// label is wrong on input 7 in every version (a known failure); version 2 also on every 5th input.
const toy = (version: string, wrongEveryFifth: boolean) => `
export function createGoldenWorkflow(st) {
  const wf = st.workflow("toy", { version: ${JSON.stringify(version)} });
  return {
    run: (input) => wf.run({ input }, async (run) => {
      const d = await run.step("double", { input }, () => ({ value: input * 2, confidence: 0.99 }));
      const wrong = input === 7 || (${wrongEveryFifth} && input % 5 === 0);
      const l = await run.step("label", { from: [d] }, () => ({ value: wrong ? "odd|<b>" : d.value % 4 === 0 ? "four" : "two", confidence: 0.9 }));
      return l.value;
    }),
  };
}
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "seamtrace-golden-ci-"));
  writeFileSync(join(dir, "v1.mjs"), toy("1", false));
  writeFileSync(join(dir, "v2.mjs"), toy("2", true));
  const lines = Array.from({ length: 40 }, (_, i) =>
    JSON.stringify({ id: `n${i + 1}`, input: i + 1, expected: { double: (i + 1) * 2, label: ((i + 1) * 2) % 4 === 0 ? "four" : "two" } }),
  );
  writeFileSync(join(dir, "toy.jsonl"), lines.join("\n") + "\n");
  const stored = await cli(["golden", "run", "toy.jsonl", "--workflow", "v1.mjs", "--update-baseline"]);
  expect(stored.code, stored.stderr).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]) {
  return runCli(args, { dataDir: dir, cwd: dir, timeoutMs: 60_000 });
}

describe("golden run in CI", () => {
  it("writes JUnit without failures for the unchanged workflow: its known failure is skipped with the reason", async () => {
    const r = await cli(["golden", "run", "toy.jsonl", "--workflow", "v1.mjs", "--junit", "same.xml"]);
    expect(r.code, r.stderr).toBe(0);
    const xml = readFileSync(join(dir, "same.xml"), "utf8");
    expect(junitSchemaProblems(xml)).toEqual([]);
    expect(xml).toMatch(/<testsuites name="golden toy.jsonl" tests="\d+" failures="0" errors="0">/);
    expect(xml).toContain('<skipped message="already failing in the baseline: &quot;odd|&lt;b&gt;&quot; ≠ expected &quot;two&quot;"/>');
  });

  it("fails a regressing version with exit 1 and exactly its newly failing cases as JUnit failures", async () => {
    const r = await cli(["golden", "run", "toy.jsonl", "--workflow", "v2.mjs", "--junit", "worse.xml"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('regression in step "label": 8 newly failing cases, 0 newly passing (exact McNemar p = 0.00391)');
    expect(r.stdout).toMatch(/newly failing \(8\):\n {2}label {2}n5 {2}pass → fail/);
    const xml = readFileSync(join(dir, "worse.xml"), "utf8");
    expect(junitSchemaProblems(xml)).toEqual([]);
    expect(xml).toContain('<testsuite name="toy.jsonl › label" tests="40" failures="8" errors="0" skipped="1">');
    expect(xml).toContain('<testsuite name="toy.jsonl › double" tests="40" failures="0" errors="0" skipped="0">');
  });

  it("prints Markdown for a pull-request comment", async () => {
    const r = await cli(["golden", "run", "toy.jsonl", "--workflow", "v2.mjs", "--format", "markdown"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^### ❌ Golden set `toy.jsonl`: \d regressions?\n/);
    expect(r.stdout).toContain("| label | 77.5% | 97.5% | 8 | 0 | 0.00391 |");
    expect(r.stdout).toContain('| label | n5 | pass | fail | "odd\\|\\<b\\>" ≠ expected "two" |');
  });

  it("refuses the retired --tolerance with exit 2, naming what replaced it", async () => {
    const r = await cli(["golden", "run", "toy.jsonl", "--workflow", "v1.mjs", "--tolerance", "0.02"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--tolerance was retired");
    expect(r.stderr).toContain("--max-new-failures");
  });

  it("decides by a count with --max-new-failures", async () => {
    const within = await cli(["golden", "run", "toy.jsonl", "--workflow", "v2.mjs", "--max-new-failures", "8", "--json"]);
    const report = JSON.parse(within.stdout) as { comparison: { rule: { maxNewFailures: number } }; regressions: Array<{ kind: string }> };
    expect(report.comparison.rule.maxNewFailures).toBe(8);
    expect(report.regressions.filter((x) => x.kind === "accuracy")).toEqual([]);
  });
});

describe("the JUnit schema check itself", () => {
  it("rejects what the executor used to write: a skipped count on <testsuites>", () => {
    const old =
      '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites tests="1" failures="0" errors="0" skipped="1">\n  <testsuite name="s" tests="1" failures="0" errors="0" skipped="1">\n    <testcase classname="c" name="n"><skipped/></testcase>\n  </testsuite>\n</testsuites>\n';
    expect(junitSchemaProblems(old)).toEqual(["line 2: <testsuites> may not have the attribute skipped"]);
  });

  it("rejects a testsuite without its required counts, a misplaced element and an invalid character", () => {
    expect(junitSchemaProblems('<testsuites><testsuite name="s"><failure/></testsuite></testsuites>')).toEqual([
      "line 1: <testsuite> lacks the required attribute tests",
      "line 1: <testsuite> lacks the required attribute failures",
      "line 1: <testsuite> lacks the required attribute errors",
      "line 1: <failure> may not be inside <testsuite>",
    ]);
    expect(junitSchemaProblems('<testsuites name="\u0001"/>')[0]).toMatch(/not allow/);
  });
});
