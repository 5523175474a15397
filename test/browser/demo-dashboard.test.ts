import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { Seamtrace } from "@seamtrace/sdk";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { CHROMIUM, suiteName, unmet } from "../support/requirements.js";
import { spawnServer, type SpawnedServer } from "../support/server.js";

/**
 * The dashboard on the store `seamtrace demo` leaves (7 days of 150 claims, seed 1: the
 * defaults), in headless Debian Chromium, as a new user first sees it. The demo drifts on days
 * 3–5 on version 1 and serves version 2 on its last two days, so the last day alone shows no
 * drift: the Drift page must still lead to it. Screenshots go to a temporary folder (printed).
 */
const skipReason = unmet("chromium");
const PASSWORD = "a long demo dashboard password";
const ADMIN = "demo-admin@example.test";
/** A workflow whose queue is longer than one page of the queue API (200). */
const BACKLOG = "intake-backlog";
const BACKLOG_RUNS = 230;

describe.skipIf(skipReason !== undefined)(suiteName("dashboard on the demo's store", skipReason), () => {
  const shots = mkdtempSync(join(tmpdir(), "seamtrace-demo-shots-"));
  let dataDir: string;
  let server: SpawnedServer;
  let browser: Browser;
  const problems: string[] = [];

  const shot = (page: Page, name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  const text = async (page: Page, selector: string) => ((await page.locator(selector).first().textContent()) ?? "").trim();

  async function signedIn(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("console", (m) => {
      if (m.type() === "error" && !/status of 401/.test(m.text())) problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(e.message));
    await page.goto(`${server.url}/login`);
    await page.getByLabel("Email").fill(ADMIN);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((u) => !u.pathname.startsWith("/login"));
    return page;
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "seamtrace-demo-dashboard-"));
    const demo = await runCli(["demo", "--seed", "1"], { dataDir, timeoutMs: 900_000 });
    if (demo.code !== 0) throw new Error(`seamtrace demo failed:\n${demo.stderr}`);
    const user = await runCli(["users", "create", "--email", ADMIN, "--role", "admin", "--password-env", "PW"], { dataDir, env: { PW: PASSWORD } });
    if (user.code !== 0) throw new Error(`users create failed:\n${user.stderr}`);
    const key = await runCli(["keys", "create", "--json"], { dataDir });
    if (key.code !== 0) throw new Error(`keys create failed:\n${key.stderr}`);
    server = await spawnServer({ dataDir, env: { SEAMTRACE_JOBS: "off" } });
    // A queue longer than one page: runs of another workflow that all stop for review.
    const st = new Seamtrace({ endpoint: server.url, apiKey: (JSON.parse(key.stdout) as { key: string }).key, logger: false });
    const wf = st.workflow(BACKLOG, { policy: { minConfidence: 0.9, onLow: "escalate" } });
    for (let i = 0; i < BACKLOG_RUNS; i++) await wf.run({ input: { i } }, (run) => run.step("triage", async () => ({ value: "unsure", confidence: 0.4 })));
    await st.shutdown({ timeoutMs: 60_000 });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    console.log(`demo dashboard screenshots: ${shots}`);
  }, 1_200_000);
  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("lists the drift the demo made on the Drift page, and shows a verdict's window with its drifted feature", async () => {
    const page = await signedIn();
    await page.goto(`${server.url}/drift?workflow=claims`);
    const rows = page.locator('[data-testid="drift-verdicts"] tbody tr');
    await expect.poll(() => rows.count()).toBeGreaterThan(0);
    // Version 1 drifted on days 3-5 (extract, reserve, route; classify on day 4); version 2,
    // on traffic as shifted as its baseline, did not.
    const listed = await rows.evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].slice(1, 4).map((td) => td.textContent?.trim())));
    expect(listed.every(([version]) => version === "1")).toBe(true);
    const alerted = [...new Set(listed.filter(([, , verdict]) => verdict === "alert").map(([, step]) => step))].sort();
    expect(alerted).toEqual(["classify", "extract", "reserve", "route"]);
    expect(await page.locator('[data-testid="drift-verdicts"] [data-feature="f:amount"].level-alert').count()).toBeGreaterThan(0);
    await shot(page, "demo-drift-verdicts");

    // The oldest extract alert: its own day against the 7 before, with the amount at alert.
    await rows.filter({ hasText: "extract" }).last().getByRole("button", { name: "Show" }).click();
    await page.waitForURL((u) => u.searchParams.get("step") === "extract" && u.searchParams.has("to") && u.searchParams.get("feature") === "f:amount");
    await expect.poll(() => text(page, "[data-level]")).toBe("Overall: alert");
    await expect.poll(() => text(page, ".feature select option:checked")).toBe("feature amount (alert)");
    const amountRow = page.locator(".tests tbody tr", { hasText: "feature amount" });
    await expect.poll(() => text(page, `.tests tbody tr:has-text("feature amount") .badge`)).toBe("alert");
    expect(await amountRow.count()).toBe(1);
    expect(await page.locator(".tests tbody tr").count()).toBeGreaterThan(1);
    // 150 claims a day spread over its hours: no hour has enough for a point of its own, and the
    // empty hourly charts say why.
    await expect.poll(() => text(page, '[data-testid="no-hourly"]')).toMatch(/^No hour of the current window holds the 30 observations/);
    await shot(page, "demo-drift-extract");
    await page.close();
  });

  it("counts every open escalation of a workflow on the Overview, past one page of the queue", async () => {
    // What the store holds, read apart from the server.
    const db = createClient({ url: `file:${join(dataDir, "seamtrace.db")}` });
    const open = Number(
      (
        await db.execute({
          sql: "SELECT count(*) FROM escalations WHERE workflow = ? AND status IN ('open', 'in_review', 'disputed')",
          args: [BACKLOG],
        })
      ).rows[0]![0],
    );
    db.close();
    expect(open).toBe(BACKLOG_RUNS);
    const page = await signedIn();
    await page.goto(`${server.url}/?workflow=${BACKLOG}`);
    await expect.poll(() => text(page, '[data-figure="queue"] .value')).toBe(String(open));
    // All raised today: the sparkline's last point is the whole queue.
    const label = (await page.locator('[data-figure="queue"] svg').getAttribute("aria-label")) ?? "";
    expect(label).toMatch(new RegExp(`, ${open}$`));
    await shot(page, "demo-overview-backlog");
    // The demo's own workflow: every escalation it raised was reviewed.
    await page.goto(`${server.url}/?workflow=claims`);
    await expect.poll(() => text(page, '[data-figure="queue"] .value')).toBe("0");
    await shot(page, "demo-overview");
    await page.close();
  });

  it("keeps the account controls on the header's first row, and the header within a narrow screen", async () => {
    const page = await signedIn();
    const box = async (l: ReturnType<Page["locator"]>) => (await l.boundingBox())!;
    for (const path of ["/", "/drift", "/agreement"]) {
      await page.goto(`${server.url}${path}`);
      await page.locator("main h1").first().waitFor();
      const brand = await box(page.locator(".brand"));
      const signOut = await box(page.getByRole("button", { name: "Sign out" }));
      // Once "Sign out" wrapped alone onto a second row at 1280 px.
      expect(signOut.y).toBeLessThan(brand.y + brand.height);
    }
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto(`${server.url}/`);
    await page.locator("main h1").first().waitFor();
    const overflow = await page.locator("header.top").evaluate((h) => h.scrollWidth - h.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(page, "demo-overview-narrow");
    await page.close();
  });

  it("says a spot check is non-blocking, in words apart", async () => {
    const page = await signedIn();
    const id = await page.evaluate(async () => {
      const res = await fetch("/v1/escalations?kind=spot_check&status=all&limit=1", { headers: { accept: "application/json" } });
      return ((await res.json()) as { items: Array<{ id: string }> }).items[0]!.id;
    });
    await page.goto(`${server.url}/review/${id}`);
    await expect.poll(async () => (await text(page, `main p:has-text("created")`)).replace(/\s+/g, " ")).toMatch(/^Spot check \(non-blocking\) · created /);
    await shot(page, "demo-review-spot-check");
    await page.close();
  });

  it("loads its pages without console errors or CSP refusals", () => {
    expect(problems).toEqual([]);
  });
});
