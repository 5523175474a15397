import { spawn } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { junitSchemaProblems } from "../support/junit-schema.js";
import { installPackedApp } from "../support/packed-app.js";

/**
 * @seamtrace/golden as a user meets it: packed with `npm pack`, installed into an empty folder,
 * and used through its bin and from code, next to the SDK's in-memory sink. The install is
 * offline (support/packed-app.ts: tests talk to no registry).
 */
let dir: string;
let app: string;

function run(cmd: string, args: string[], cwd: string, timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const p = spawn(cmd, args, { cwd, env: { ...process.env, npm_config_loglevel: "error", NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
    p.once("error", fail);
    p.once("close", (code) => (clearTimeout(timer), done({ code, stdout, stderr })));
  });
}

beforeAll(async () => {
  ({ dir, app } = await installPackedApp(["@seamtrace/sdk", "@seamtrace/golden"]));

  // A user's golden set and workflow, with a custom comparator from the package.
  const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ id: `q${i}`, input: i, expected: { price: i * 10, tag: i % 2 ? "odd" : "even" } }));
  writeFileSync(join(app, "set.jsonl"), lines.join("\n") + "\n");
  const workflow = (drift: number) => `
import { custom, numeric } from "@seamtrace/golden";
export const comparators = { price: numeric({ rel: 0.05 }), tag: custom((a, e) => String(a).toLowerCase() === e, "same tag, any case") };
export function createGoldenWorkflow(st) {
  const wf = st.workflow("pricing", { version: "${drift}" });
  return {
    run: (input) => wf.run({ input }, async (run) => {
      const price = await run.step("price", { input }, () => ({ value: input * 10 * (input % 3 === 0 ? ${1 + drift} : 1.01), confidence: 0.9 }));
      const tag = await run.step("tag", { from: [price] }, () => ({ value: input % 2 ? "ODD" : "even", confidence: 0.95 }));
      return tag.value;
    }),
  };
}
`;
  writeFileSync(join(app, "v1.mjs"), workflow(0));
  writeFileSync(join(app, "v2.mjs"), workflow(0.2));
}, 240_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("@seamtrace/golden installed into an empty folder", () => {
  it("depends on no private package and ships no tests or fixtures", () => {
    const manifest = JSON.parse(readFileSync(join(app, "node_modules/@seamtrace/golden/package.json"), "utf8")) as {
      private?: boolean;
      dependencies: Record<string, string>;
    };
    expect(manifest.private).toBeUndefined();
    for (const dep of Object.keys(manifest.dependencies)) {
      const m = JSON.parse(readFileSync(join(app, "node_modules", dep, "package.json"), "utf8")) as { private?: boolean };
      expect(m.private, dep).not.toBe(true);
    }
    const files = readdirSync(join(app, "node_modules/@seamtrace/golden"), { recursive: true }).map(String);
    expect(files.filter((f) => /\.test\.|fixtures|scripts\//.test(f))).toEqual([]);
  });

  it("runs a set with its bin: stores a baseline, then exits 1 naming the regressed step, with valid JUnit", async () => {
    const bin = join(app, "node_modules/.bin/seamtrace-golden");
    const help = await run(bin, ["--help"], app);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: seamtrace-golden run");
    const stored = await run(bin, ["run", "set.jsonl", "--workflow", "v1.mjs", "--update-baseline"], app);
    expect(stored.code, stored.stderr).toBe(0);
    expect(stored.stdout).toContain("baseline stored in");
    const worse = await run(bin, ["run", "set.jsonl", "--workflow", "v2.mjs", "--junit", "junit.xml"], app);
    expect(worse.code).toBe(1);
    expect(worse.stderr).toContain('regression in step "price": 9 newly failing cases, 0 newly passing');
    const xml = readFileSync(join(app, "junit.xml"), "utf8");
    expect(junitSchemaProblems(xml)).toEqual([]);
    expect(xml).toContain('<testsuite name="set.jsonl › price" tests="30" failures="9" errors="0" skipped="0">');
    const usage = await run(bin, ["run", "set.jsonl"], app);
    expect(usage.code).toBe(2);
  });

  it("runs a set from code with runGoldenSet, and the SDK's memory sink records a workflow in a user's own test", async () => {
    writeFileSync(
      join(app, "from-code.mjs"),
      `
import { runGoldenSet, parseGoldenSet } from "@seamtrace/golden";
import { Seamtrace } from "@seamtrace/sdk";
import { MemorySink } from "@seamtrace/sdk/memory";
import { readFileSync } from "node:fs";
const set = parseGoldenSet(readFileSync("set.jsonl", "utf8"), { name: "set.jsonl" });
const report = await runGoldenSet({ set, workflow: "v1.mjs", baseline: "set.baseline.json" });
const sink = new MemorySink();
const st = new Seamtrace({ sink });
const r = await st.workflow("mine").run({ input: 2 }, async (run) => (await run.step("double", () => ({ value: 4, confidence: 0.8 }))).value);
const steps = sink.take(r.runId).events.filter((e) => e.type === "step.completed").map((e) => [e.step, e.output, e.confidence]);
console.log(JSON.stringify({ state: report.baseline.state, failed: report.failed, accuracy: report.summary.steps.map((s) => [s.step, s.accuracy]), steps }));
`,
    );
    const r = await run("node", ["from-code.mjs"], app);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      state: "compared",
      failed: false,
      accuracy: [
        ["price", 1],
        ["tag", 1],
      ],
      steps: [["double", 4, 0.8]],
    });
  });
});
