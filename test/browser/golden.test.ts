import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  goldenResultPayload,
  runGoldenSet,
  sendGoldenResult,
  serializeGoldenSet,
  type GoldenCase,
  type GoldenRunReport,
  type GoldenWorkflowModule,
} from "@seamtrace/golden";
import type { Seamtrace } from "@seamtrace/sdk";
import { chromium, type Browser, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, suiteName, unmet } from "../support/requirements.js";
import { cliPath, spawnServer, type SpawnedServer } from "../support/server.js";

/**
 * Golden runs in the dashboard, in headless Chromium against a real server: two golden runs of a
 * claims workflow sent by the real executor (each case's run included), v2 with a classify that
 * regressed on some cases. The result page lists the case changes (newly failing first), every
 * case opens its run's DAG, and two results compare side by side. Screenshots go to a temporary
 * folder (printed).
 */
const exec = promisify(execFile);
const text = async (l: Locator) => (await l.first().textContent()) ?? "";
/** The row whose header cell is exactly `id` ("c-1", not "c-12"). */
const row = (rows: Locator, id: string) => rows.filter({ has: rows.page().locator("th", { hasText: new RegExp(`^${id}$`) }) });
const shots = mkdtempSync(join(tmpdir(), "seamtrace-golden-shots-"));
const PASSWORD = "a long golden password";
const ANALYST = "golden-analyst@example.test";
/** Would run script if any page rendered it as HTML: it reaches the page as a comparator's reason. */
const HOSTILE = "<img src=x onerror=window.__xss=1>";

/**
 * Cases c-1…c-24; v2's classify says "property" (confidently) for every fourth case: 6 newly
 * failing and none newly passing, a regression by the exact McNemar test (p = 1/64).
 */
const cases: GoldenCase[] = Array.from({ length: 24 }, (_, i) => {
  const n = i + 1;
  const type = n % 3 === 0 ? "cyber" : n % 2 === 0 ? "auto" : "health";
  return { id: `c-${n}`, input: { n, text: `claim ${n}` }, expected: { extract: { n }, classify: type, reserve: n * 100 } };
});
const regressedCases = cases.filter((_, i) => (i + 1) % 4 === 0).map((c) => c.id);

function claims(version: "1" | "2"): GoldenWorkflowModule {
  return {
    createGoldenWorkflow(st: Seamtrace) {
      const wf = st.workflow("claims-golden-ui", { version, policy: { minConfidence: 0.5, onLow: "escalate" } });
      return {
        run: (input) =>
          wf.run({ input }, async (run) => {
            const { n } = input as { n: number };
            const fields = await run.step("extract", { input }, () => ({ value: { n }, confidence: 0.95 }));
            const right = n % 3 === 0 ? "cyber" : n % 2 === 0 ? "auto" : "health";
            const wrong = version === "2" && n % 4 === 0;
            const kind = await run.step("classify", { from: [fields] }, () => ({
              value: wrong ? (n === 8 ? HOSTILE : "property") : right,
              confidence: wrong ? 0.97 : 0.9,
            }));
            const reserve = await run.step("reserve", { from: [fields, kind] }, () => ({ value: n * 100, confidence: 0.9 }));
            return reserve.value;
          }),
      };
    },
  };
}

const skipReason = unmet("chromium");

describe.skipIf(skipReason !== undefined)(suiteName("golden runs in the dashboard", skipReason), () => {
  let server: SpawnedServer;
  let browser: Browser;
  let dir: string;
  const ids = { v1: "", v2: "" };
  let v2: GoldenRunReport;
  const problems: string[] = [];

  async function signedIn(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("console", (m) => {
      if (m.type() === "error" && !/status of 401/.test(m.text())) problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(e.message));
    await page.goto(`${server.url}/login`);
    await page.getByLabel("Email").fill(ANALYST);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((u) => !u.pathname.startsWith("/login"));
    return page;
  }
  const shot = (page: Page, name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    server = await spawnServer({ env: { SEAMTRACE_JOBS: "off" } });
    await exec(process.execPath, [cliPath, "users", "create", "--email", ANALYST, "--role", "analyst", "--project", "default", "--password-env", "PW"], {
      env: { PATH: process.env.PATH ?? "", SEAMTRACE_DATA_DIR: server.dataDir, PW: PASSWORD },
    });
    dir = mkdtempSync(join(tmpdir(), "seamtrace-golden-ui-"));
    const set = join(dir, "claims-ui.jsonl");
    writeFileSync(set, serializeGoldenSet(cases));
    const send = { server: server.url, apiKey: server.apiKey };
    for (const version of ["1", "2"] as const) {
      const startedAt = new Date();
      const report = await runGoldenSet({ set, workflow: claims(version), updateBaseline: version === "1", send });
      if (report.runsSent?.undelivered !== 0) throw new Error(`runs not sent: ${JSON.stringify(report.runsSent)}`);
      ids[`v${version}`] = (await sendGoldenResult(server.url, server.apiKey, goldenResultPayload(set, report, startedAt, new Date())!)).id;
      if (version === "2") v2 = report;
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    console.log(`golden screenshots: ${shots}`);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("lists a result's case changes, newly failing first, each opening its run's DAG", async () => {
    expect(v2.regressions.map((r) => r.what)).toContain("classify");
    const page = await signedIn();
    await page.goto(`${server.url}/golden/${ids.v2}`);
    const changes = page.locator("table.changes tbody tr");
    await expect.poll(() => changes.count()).toBe(regressedCases.length);
    await expect.poll(() => changes.locator("th").allTextContents()).toEqual(regressedCases);
    expect(await page.locator('table.changes tr[data-change="new-failure"]').count()).toBe(regressedCases.length);
    // The comparator's reason holds the model's output: shown as text, never run.
    await expect.poll(() => text(row(changes, "c-8").locator("td.reason"))).toContain(HOSTILE);
    // A calibration regression reads as Brier scores, not percentages.
    await expect.poll(() => text(page.locator(".regressions li").nth(1))).toMatch(/^classify: Brier 0\.\d{3} \(baseline 0\.\d{3}\)/);
    expect(await page.evaluate("window.__xss")).toBeUndefined();
    // Every case of the set with its run, the failing ones first.
    const caseRows = page.locator("table.cases tbody tr");
    await expect.poll(() => caseRows.count()).toBe(cases.length);
    await expect
      .poll(() =>
        caseRows
          .locator("th")
          .allTextContents()
          .then((t) => t.slice(0, regressedCases.length)),
      )
      .toEqual(regressedCases);
    expect(await page.locator('table.cases tr[data-outcome="fail"]').count()).toBe(regressedCases.length);
    await shot(page, "golden-result");

    // A newly failing case opens its run: the DAG, and which case of which result it was.
    await row(changes, "c-4").getByRole("link", { name: "open run" }).click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    await expect.poll(() => page.locator("svg.dag g.node").count()).toBe(3);
    await expect.poll(() => text(page.locator("[data-golden]"))).toContain("case c-4 of set claims-ui");
    await expect.poll(() => text(page.locator("[data-golden]"))).toContain("failed");
    await shot(page, "golden-case-run");
    await page.getByRole("link", { name: "its golden result" }).click();
    await page.waitForURL((u) => u.pathname === `/golden/${ids.v2}`);
    // And a case that did not change opens its run from the cases table.
    await row(caseRows, "c-1").getByRole("link", { name: "open run" }).click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    await expect.poll(() => text(page.locator("[data-golden]"))).toContain("case c-1 of set claims-ui");
    await page.close();
  });

  it("compares two results side by side, step by step and case by case", async () => {
    const page = await signedIn();
    await page.goto(`${server.url}/golden`);
    // Each result links to a side-by-side view with the one before it.
    await page.getByRole("link", { name: "with v1" }).click();
    await page.waitForURL((u) => u.pathname === `/golden/${ids.v1}` && u.searchParams.get("with") === ids.v2);
    await expect.poll(() => text(page.getByRole("heading", { level: 1 }))).toBe("claims-golden-ui: v1 ↔ v2");
    const classify = page.locator('table.side tr[data-step="classify"] td');
    await expect
      .poll(() => classify.allTextContents())
      .toEqual(["100.0%", expect.stringMatching(/^75\.0%.*▼$/), "−25.0", expect.any(String), expect.any(String), "0.0%", "0.0%"]);
    expect(await page.locator('table.side tr[data-step="extract"] td.regressed').count()).toBe(0);
    const pairs = page.locator("table.pairs tbody tr");
    await expect.poll(() => pairs.count()).toBe(cases.length);
    await expect.poll(() => page.locator('table.pairs tr[data-change="worse"] th').allTextContents()).toEqual(regressedCases);
    await expect.poll(() => pairs.first().getByRole("link").count()).toBe(2); // one run on each side
    await shot(page, "golden-compare");

    // From a result's own page, with the picker.
    await page.goto(`${server.url}/golden/${ids.v2}`);
    await page.getByLabel("Compare side by side with").selectOption(ids.v1);
    await page.waitForURL((u) => u.pathname === `/golden/${ids.v1}` && u.searchParams.get("with") === ids.v2);
    await page.close();
  });

  it("keeps golden runs out of the runs list unless asked for", async () => {
    const page = await signedIn();
    await page.goto(`${server.url}/runs`);
    await expect.poll(() => text(page.locator(".status.empty"))).toContain("No runs");
    await page.getByLabel("Source").selectOption("only");
    await expect.poll(() => page.locator("tbody tr").count()).toBe(2 * cases.length);
    await expect.poll(() => text(page.locator("tbody tr").first())).toContain("golden");
    await shot(page, "golden-runs-list");
    await page.close();
  });

  it("loads every page without console errors or CSP refusals", () => {
    expect(problems).toEqual([]);
  });
});
