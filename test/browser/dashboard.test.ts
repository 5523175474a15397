import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { Seamtrace } from "@seamtrace/sdk";
import { chromium, type Browser, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, suiteName, unmet } from "../support/requirements.js";
import { readFileSync } from "node:fs";
import {
  CLASSIFY_CONFIDENCE,
  claimsPipeline,
  claimsWorkflow,
  DRIFT,
  GOLDEN,
  seedDashboard,
  SEED_PASSWORD,
  SEED_SERVER_ENV,
  SEED_USERS,
  seedTeamReview,
  TEAM,
  XSS,
  type Seeded,
} from "../support/dashboard-seed.js";
import { spawnServer, type SpawnedServer } from "../support/server.js";

/**
 * The dashboard in headless Debian Chromium (`.ci/run` installs it) against a real server with
 * the demo data. Screenshots go to a temporary folder (printed) to look at while building.
 */
/** playwright-core has no web-first assertions (they ship with @playwright/test): poll instead. */
const text = async (l: Locator) => (await l.first().textContent()) ?? "";
const shots = mkdtempSync(join(tmpdir(), "seamtrace-dashboard-shots-"));

const skipReason = unmet("chromium");
/** A workflow with more runs than one page of the runs list, over each of the last 7 days. */
const BUSY = "busy-intake";

describe.skipIf(skipReason !== undefined)(suiteName("dashboard in a browser", skipReason), () => {
  let server: SpawnedServer;
  let seeded: Seeded;
  let browser: Browser;
  /** Console errors and CSP refusals, per page: the strict CSP must never block our own code. */
  const problems: string[] = [];

  async function signedIn(email: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("console", (m) => {
      // The first /v1/auth/me of a signed-out visitor is a 401 by design.
      if (m.type() === "error" && !/status of 401/.test(m.text())) problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(e.message));
    await page.goto(`${server.url}/login`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(SEED_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((u) => !u.pathname.startsWith("/login"));
    return page;
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    server = await spawnServer({ env: { SEAMTRACE_JOBS: "off", ...SEED_SERVER_ENV } });
    seeded = await seedDashboard(server);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    console.log(`dashboard screenshots: ${shots}`);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  it("sends a signed-out visitor to the login page and back to the deep link after signing in", async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/runs?status=paused`);
    await page.waitForURL(/\/login\?next=/);
    await page.getByLabel("Email").fill(SEED_USERS.analyst);
    await page.getByLabel("Password").fill(SEED_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((u) => u.pathname === "/runs" && u.searchParams.get("status") === "paused");
    await expect.poll(() => page.locator("tbody tr").count()).toBe(seeded.escalated.length);
    await page.close();
  });

  it("refuses a wrong password with a message", async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/login`);
    await page.getByLabel("Email").fill(SEED_USERS.admin);
    await page.getByLabel("Password").fill("not the password at all");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => text(page.getByRole("alert"))).toContain("not correct");
    await page.close();
  });

  it("shows the overview's figures from the data, each with a sparkline", async () => {
    const page = await signedIn(SEED_USERS.admin);
    const runs = page.locator('[data-figure="runs"] .value');
    // Reported, not asserted (tests never assert on timings): a full load of the overview until
    // its figures are on screen, for the issue's "under 1 s on localhost" target.
    const started = Date.now();
    // The drifting workflow has more runs this week; the claims workflow is the one counted here.
    await page.goto(`${server.url}/?workflow=roof-claims`);
    await runs.waitFor();
    console.log(`overview rendered in ${Date.now() - started} ms (full page load, demo data)`);
    await expect.poll(() => runs.textContent()).toBe(String(seeded.completed.length + seeded.escalated.length));
    await expect.poll(() => text(page.locator('[data-figure="queue"] .value'))).toBe(String(seeded.escalated.length));
    // 18 of 24 runs pass all three gates, 6 escalate at classify: 66 auto of 72 steps? The
    // escalated runs stop after two steps, so 18×3 + 6×2 = 66 steps, 60 of them passing.
    await expect.poll(() => text(page.locator('[data-figure="escalation"] .value'))).toBe(`${((6 / 66) * 100).toFixed(1)}%`);
    // The newest golden run's end-to-end accuracy (v2's).
    await expect.poll(() => text(page.locator('[data-figure="golden"] .value'))).toBe(`${(GOLDEN.results[1].endToEnd * 100).toFixed(1)}%`);
    for (const key of ["runs", "auto", "escalation", "ece", "alerts", "golden", "queue"]) {
      await expect.poll(() => page.locator(`[data-figure="${key}"] svg`).count()).toBe(1);
    }
    // Each card says how fresh it is: runs are counted as they arrive, rates by the rollups.
    await expect.poll(() => text(page.locator('[data-figure="runs"] [data-fresh]'))).toBe("counted as runs arrive");
    for (const key of ["auto", "escalation", "ece"])
      await expect.poll(() => text(page.locator(`[data-figure="${key}"] [data-fresh]`))).toMatch(/^rolled up (just now|\d+ min ago)$/);
    await shot(page, "overview");
    // One ECE for one window: the card's link opens the Calibration page, which shows the same.
    const ece = await text(page.locator('[data-figure="ece"] .value'));
    await page.locator('[data-figure="ece"] .value a').click();
    await page.waitForURL((u) => u.pathname === "/calibration");
    await expect.poll(() => text(page.locator('[data-stat="ece"]'))).toBe(ece);
    await page.close();
  });

  it("follows the system's dark preference and lets the user override it", async () => {
    const page = await signedIn(SEED_USERS.analyst);
    await page.emulateMedia({ colorScheme: "dark" });
    const bg = () => page.evaluate<string>("getComputedStyle(document.documentElement).backgroundColor");
    const dark = await bg();
    await page.getByRole("button", { name: /Theme: system/ }).click(); // system → light
    await expect.poll(bg).not.toBe(dark);
    await shot(page, "overview-light-forced");
    await page.getByRole("button", { name: /Theme: light/ }).click(); // light → dark
    await expect.poll(bg).toBe(dark);
    await page.reload();
    await expect.poll(() => page.evaluate<string | undefined>("document.documentElement.dataset.theme")).toBe("dark");
    await shot(page, "overview-dark");
    await page.close();
  });

  it("hides the review queue and analytics from roles that may not use them", async () => {
    const analyst = await signedIn(SEED_USERS.analyst);
    await expect
      .poll(() => analyst.getByRole("navigation", { name: "Main" }).getByRole("link").allTextContents())
      .toEqual(["Overview", "Runs", "Agreement", "Calibration", "Escalations", "Drift", "Thresholds", "Golden", "Exports", "Audit"]);
    await analyst.close();
    const reviewer = await signedIn(SEED_USERS.reviewer);
    await expect
      .poll(() => reviewer.getByRole("navigation", { name: "Main" }).getByRole("link").allTextContents())
      .toEqual(["Overview", "Runs", "Review queue", "Audit"]);
    await expect.poll(() => reviewer.locator('[data-figure="queue"]').count()).toBe(1);
    await expect.poll(() => reviewer.locator('[data-figure="ece"]').count()).toBe(0);
    // A deep link to an analytics page says why instead of failing on the API's 403.
    await reviewer.goto(`${server.url}/drift?workflow=roof-claims`);
    await expect.poll(() => text(reviewer.getByRole("heading", { level: 1 }))).toBe("Not available to your role");
    await reviewer.close();
  });

  it("says on a paused run's page which step and gate paused it, waiting for review", async () => {
    const paused = seeded.escalated[seeded.escalated.length - 1]!;
    const page = await signedIn(SEED_USERS.analyst);
    await page.goto(`${server.url}/runs/${paused.runId}`);
    await expect
      .poll(() => text(page.locator("[data-pause]")))
      .toMatch(/^Paused, waiting for review\s+at step classify: its confidence 0\.41 is below the minimum 0\.6\./);
    await shot(page, "run-paused");
    await page.close();
  });

  it("filters the runs list by text, status and dates, in the address", async () => {
    const page = await signedIn(SEED_USERS.analyst);
    await page.goto(`${server.url}/runs?workflow=roof-claims`);
    await page.getByLabel("Search").fill("claim-1");
    await page.getByLabel("Search").press("Enter");
    await page.waitForURL((u) => u.searchParams.get("q") === "claim-1");
    // Keys claim-1 and claim-10 … claim-19 (of 24 runs), each key under its run id.
    await expect.poll(() => page.locator("tbody tr").count()).toBe(11);
    await page.getByLabel("Status").selectOption("paused");
    await page.waitForURL((u) => u.searchParams.get("status") === "paused");
    // Of those, the unsure ones (every fourth: claim-11, -15, -19) are paused.
    const paused = seeded.escalated.filter((e) => `claim-${e.index}`.startsWith("claim-1"));
    expect(paused.map((e) => e.index)).toEqual([11, 15, 19]);
    await expect.poll(() => page.locator("tbody tr").count()).toBe(paused.length);
    await shot(page, "runs-filtered");
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel("From").fill(tomorrow);
    await page.waitForURL((u) => u.searchParams.get("from") === tomorrow);
    await expect.poll(() => text(page.locator("main"))).toContain("No runs match these filters in these dates");
    await page.close();
  });

  it("draws a run's DAG with one node per step, and a step's detail on selection", async () => {
    const page = await signedIn(SEED_USERS.analyst);
    await page.goto(`${server.url}/runs/${seeded.completed[0]}`);
    const nodes = page.locator("svg.dag g.node");
    await expect.poll(() => nodes.count()).toBe(3);
    await expect.poll(() => page.locator("svg.dag path.edge").count()).toBe(3); // extract→classify, extract→reserve, classify→reserve
    await page.locator('g.node[data-step="reserve"]').focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => text(page.locator("#step-title"))).toContain("reserve");
    expect(new URL(page.url()).searchParams.get("step")).not.toBeNull();
    await shot(page, "run-detail");
    await page.close();
  });

  it("resolves an escalation in the review screen with the keyboard, and shows the run resumed and completed", async () => {
    const target = seeded.escalated[0]!;
    const page = await signedIn(SEED_USERS.reviewer);
    await page.goto(`${server.url}/review`);
    await page.locator(`a[href="/review/${target.escalationId}"]`).click();
    await expect.poll(() => text(page.getByRole("status").first())).toContain("Claimed by you");
    // The decision form is above the fold, beside the step, not under the lineage.
    const submit = (await page.getByRole("button", { name: "Submit decision" }).boundingBox())!;
    expect(submit.y + submit.height).toBeLessThanOrEqual(900);
    // The parents are listed once: classify's parent (extract) is not repeated among the earlier steps.
    await expect.poll(() => text(page.locator(".lineage"))).toContain("Other earlier steps (0)");
    await page.keyboard.press("2"); // correct, pre-filled from alternative 2 ("fire")
    await expect.poll(() => page.locator("#editor").inputValue()).toBe('"fire"');
    await page.locator("#reason").fill("photos show scorch marks");
    await shot(page, "review-before");
    await page.keyboard.press("Control+Enter");
    await page.getByRole("heading", { name: "Decided: correct" }).waitFor();

    const st = new Seamtrace({ endpoint: server.url, apiKey: server.apiKey });
    const resumed = await claimsWorkflow(st).resume(target.runId, claimsPipeline(target.index));
    await st.shutdown();
    expect(resumed.status).toBe("completed");

    await page.reload();
    await expect.poll(() => text(page.locator(".decided"))).toContain("The run resumed");
    // People by email, not by user id.
    await expect.poll(() => text(page.locator(".decided"))).toContain(`By ${SEED_USERS.reviewer} at`);
    // Keep the reviewed run as a golden case (the exports test finds the set).
    await page.getByLabel("Golden set").fill("from-review");
    await page.getByRole("button", { name: "Add to golden set" }).click();
    await expect.poll(() => text(page.locator(".golden [role=status]"))).toContain(`Added to “from-review” as case`);
    await shot(page, "review-golden");
    await page.goto(`${server.url}/runs/${target.runId}`);
    await expect.poll(() => text(page.locator(".summary"))).toContain("completed");
    await expect.poll(() => page.locator(".person").allTextContents()).toContain(SEED_USERS.reviewer);
    await expect.poll(() => page.locator("[data-pause]").count()).toBe(0);
    await expect.poll(() => page.locator("svg.dag g.node").count()).toBe(3);
    await shot(page, "review-resumed-run");
    await page.close();
  });

  it("shows stored HTML and script payloads as text on every page and runs none of them", async () => {
    const page = await signedIn(SEED_USERS.admin);
    const hostile = `workflow=${encodeURIComponent(`hostile ${XSS.img}`)}&step=${encodeURIComponent(`name ${XSS.svg}`)}`;
    const pages = [
      `/runs/${seeded.xssRunId}`,
      "/runs",
      "/",
      "/review?status=all",
      "/audit",
      "/calibration",
      "/thresholds",
      `/escalations?${hostile}`,
      `/drift?${hostile}`,
      `/drift?${hostile}&feature=${encodeURIComponent(`f:k ${XSS.svg}`)}`,
      "/golden",
      `/golden?workflow=${encodeURIComponent(`hostile ${XSS.img}`)}&set=hostile-set`,
      `/golden/${seeded.xssGoldenId}`,
      "/exports",
    ];
    for (const path of pages) {
      await page.goto(`${server.url}${path}`);
      await page.waitForLoadState("networkidle");
      expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss ?? null), path).toBeNull();
      expect(await page.locator("main img, main iframe, main script, main svg[onload]").count(), path).toBe(0);
      expect(await page.locator('a[href^="javascript:"]').count(), path).toBe(0);
    }
    await page.goto(`${server.url}/runs/${seeded.xssRunId}`);
    await expect.poll(() => text(page.locator("main"))).toContain("<script>window.__xss=1</script>");
    await expect.poll(() => text(page.locator("main"))).toContain('<img src=x onerror="window.__xss=1">');
    await shot(page, "xss-run");
    await page.close();
  });

  it("draws the calibration chart with one mark per labelled confidence bin", async () => {
    const page = await signedIn(SEED_USERS.analyst);
    await page.goto(`${server.url}/calibration?workflow=roof-claims&step=classify`);
    // classify's labelled confidences fall in three 0.05-wide bins (CLASSIFY_CONFIDENCE).
    await expect.poll(() => page.locator("svg.reliability g.bin").count()).toBe(CLASSIFY_CONFIDENCE.length);
    // The confident runs cycle through the three confidences evenly: 6 labels per bin.
    const perBin = String(seeded.completed.length / CLASSIFY_CONFIDENCE.length);
    await expect.poll(() => page.locator("svg.reliability g.bin .count").allTextContents()).toEqual(CLASSIFY_CONFIDENCE.map(() => perBin));
    await expect.poll(() => page.locator("svg.reliability text.axis").allTextContents()).toEqual(["confidence (mean per bin)", "observed accuracy"]);
    // No count label is cut by the chart's edges.
    const boxes = await page
      .locator("svg.reliability .count")
      .evaluateAll((els) => els.map((e) => (e as unknown as { getBBox(): { y: number; height: number } }).getBBox()).map((b) => [b.y, b.y + b.height]));
    const height = Number(await page.locator("svg.reliability").getAttribute("height"));
    for (const [top, bottom] of boxes) {
      expect(top).toBeGreaterThanOrEqual(0);
      expect(bottom).toBeLessThanOrEqual(height);
    }
    await shot(page, "calibration");
    await page.close();
  });

  it("searches the audit trail by action and verifies the chain with one button", async () => {
    const page = await signedIn(SEED_USERS.analyst);
    await page.goto(`${server.url}/audit`);
    await page.getByLabel("Action").fill("gate.escalate");
    await page.getByRole("button", { name: "Search" }).click();
    await page.waitForURL((u) => u.searchParams.get("action") === "gate.escalate");
    // Every seeded escalation left one gate.escalate entry (the resumed run's included).
    await expect.poll(() => page.locator("tbody tr").count()).toBe(seeded.escalated.length);
    await page.getByRole("button", { name: "Verify the chain" }).click();
    await expect.poll(() => text(page.locator("[data-verify]"))).toContain("Intact");
    await shot(page, "audit");
    await page.close();
  });

  it("follows a verification that another instance runs: its progress while it walks, then its outcome", async () => {
    // Another instance's walk, as the store shows it (any instance can answer how far it got).
    const db = createClient({ url: `file:${join(server.dataDir, "seamtrace.db")}`, timeout: 5_000 });
    try {
      const projectId = String((await db.execute({ sql: "SELECT project_id FROM users WHERE email = ?", args: [SEED_USERS.analyst] })).rows[0]![0]);
      const id = "01a20000-0000-7000-8000-00000000beef";
      const now = Date.now();
      await db.execute({
        sql: "INSERT INTO audit_verifications (id, project_id, requested_by, status, started_at, updated_at, up_to, checked) VALUES (?, ?, 'user:elsewhere', 'running', ?, ?, 1000, 250)",
        args: [id, projectId, now, now],
      });
      const page = await signedIn(SEED_USERS.analyst);
      await page.goto(`${server.url}/audit`);
      await expect.poll(() => text(page.locator('[data-verify="running"]'))).toContain("250 of 1,000 entries (25%)");
      await expect.poll(() => page.locator(".verify progress").getAttribute("value")).toBe("250");
      // A second press joins it rather than starting another walk.
      await expect.poll(() => page.getByRole("button", { name: "Verifying…" }).isDisabled()).toBe(true);
      await db.execute({ sql: "UPDATE audit_verifications SET checked = 600, updated_at = ? WHERE id = ?", args: [Date.now(), id] });
      await expect.poll(() => text(page.locator('[data-verify="running"]'))).toContain("600 of 1,000 entries (60%)");
      await shot(page, "audit-verifying");
      const report = {
        ok: true,
        projectId,
        entries: 1000,
        checkpoints: 3,
        head: { seq: 1000, hash: "ab".repeat(32) },
        lastGoodCheckpoint: 1000,
        firstBad: null,
      };
      await db.execute({
        sql: "UPDATE audit_verifications SET status = 'passed', checked = 1000, report = ?, updated_at = ?, finished_at = ? WHERE id = ?",
        args: [JSON.stringify(report), Date.now(), Date.now(), id],
      });
      await expect.poll(() => text(page.locator('[data-verify="ok"]'))).toContain("Intact: 1,000 entries, 3 signed checkpoints, head #1000");
      await expect.poll(() => page.getByRole("button", { name: "Verify the chain" }).isEnabled()).toBe(true);
      // A later one found a tail no checkpoint signs: said as such, with its size and age.
      const later = "01a20000-0000-7000-8000-00000000cafe";
      const unanchored = {
        ...report,
        entries: 1200,
        head: { seq: 1200, hash: "cd".repeat(32) },
        payloads: { checked: 1200, reduced: 0, purged: 0, unverifiable: 0 },
        anchors: { external: null, system: null },
        unanchored: { from: 1001, to: 1200, entries: 200, since: new Date(now - 3 * 3_600_000).toISOString() },
      };
      await db.execute({
        sql: "INSERT INTO audit_verifications (id, project_id, requested_by, status, started_at, updated_at, finished_at, up_to, checked, report) VALUES (?, ?, 'user:elsewhere', 'unanchored', ?, ?, ?, 1200, 1200, ?)",
        args: [later, projectId, now + 1, now + 1, now + 1, JSON.stringify(unanchored)],
      });
      await page.reload();
      await expect.poll(() => text(page.locator('[data-verify="unanchored"]'))).toContain("Unanchored: entries #1001–#1200 (200) have no signed checkpoint");
      await page.close();
    } finally {
      db.close();
    }
  });

  it("shows escalation rates per day with their counts, and every step side by side", async () => {
    const page = await signedIn(SEED_USERS.analyst);
    await page.goto(`${server.url}/escalations?workflow=roof-claims&step=classify`);
    // Every fourth of the 24 classify steps escalated.
    await expect.poll(() => text(page.locator('[data-figure="rate"]'))).toBe("25.0%");
    await expect.poll(() => text(page.locator(".figures"))).toContain("6 of 24 step outputs");
    await expect.poll(() => page.locator('svg.escalation-trend [data-series="escalation"] circle').count()).toBeGreaterThan(0);
    // Three steps and the workflow end to end, each linking to its own trend.
    await expect.poll(() => page.locator("table.breakdown tbody tr").count()).toBe(4);
    await page.locator("table.breakdown").getByRole("link", { name: "extract" }).click();
    await page.waitForURL((u) => u.searchParams.get("step") === "extract");
    await expect.poll(() => text(page.locator('[data-figure="rate"]'))).toBe("0.0%");
    await shot(page, "escalations");
    await page.close();
  });

  it("overlays the baseline and current distributions of a drifted feature, with PSI and p-values per day", async () => {
    const page = await signedIn(SEED_USERS.analyst);
    await page.goto(`${server.url}/drift?workflow=${DRIFT.workflow}&step=${DRIFT.step}`);
    await expect.poll(() => page.locator("[data-level]").getAttribute("data-level")).toBe("alert");
    // Confidence first (the most drifted): its 20 fixed bins, each with both sides' bars.
    await expect.poll(() => page.locator("svg.distribution g.bin").count()).toBe(20);
    await expect.poll(() => page.locator("svg.distribution rect.current").count()).toBe(20);
    await expect.poll(() => page.locator("svg.psi-trend circle").count()).toBeGreaterThan(0);
    await page.getByLabel("Feature").selectOption("f:channel");
    await page.waitForURL((u) => u.searchParams.get("feature") === "f:channel");
    // Channels: app and web in the baseline, phone and web now.
    await expect.poll(() => page.locator("svg.distribution g.bin").count()).toBe(3);
    await expect.poll(() => text(page.locator("svg.distribution"))).toContain("phone");
    await page.emulateMedia({ colorScheme: "dark" });
    await shot(page, "drift-dark");
    await page.emulateMedia({ colorScheme: "light" });
    await shot(page, "drift-light");
    await page.close();
  });

  it("shows exports to analysts and downloads the reviewed correction as CSV", async () => {
    const page = await signedIn(SEED_USERS.analyst);
    await page.goto(`${server.url}/exports`);
    await page.getByLabel("Format").selectOption("csv");
    await page.getByLabel("Workflow").selectOption("roof-claims");
    await page.waitForURL((u) => u.searchParams.get("format") === "csv" && u.searchParams.get("workflow") === "roof-claims");
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator("[data-export]").click()]);
    expect(download.suggestedFilename()).toMatch(/^seamtrace-corrections-.*\.csv$/);
    const csv = readFileSync((await download.path())!, "utf8");
    // The review test corrected one escalation to "fire": one header line, one row.
    const lines = csv.trim().split(/\r?\n/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain("fire");
    // The reviewed run kept as a golden case in the review test: its set downloads as a file.
    await expect.poll(() => text(page.locator("tr", { hasText: "from-review" }))).toContain("1");
    await shot(page, "exports");
    await page.close();
  });

  it("shows golden runs as a per-step accuracy matrix with the regressions marked, and a run's detail", async () => {
    const page = await signedIn(SEED_USERS.analyst);
    await page.goto(`${server.url}/golden`);
    const matrix = page.locator("table.matrix");
    // Three steps and the end-to-end row; one column per result, oldest first.
    await expect.poll(() => matrix.locator("tbody tr").count()).toBe(4);
    await expect
      .poll(() => matrix.locator("thead th").allTextContents())
      .toEqual(["Step", ...GOLDEN.results.map((r) => expect.stringContaining(`v${r.version}`))]);
    // v2 regressed classify and end to end: two red cells, both in the last column.
    await expect.poll(() => matrix.locator("td.regressed").count()).toBe(2);
    await expect.poll(() => text(page.getByLabel("Workflow").locator("option").first())).toBe("Newest result's (roof-claims)");
    await expect.poll(() => text(matrix.locator("tr", { hasText: "classify" }).locator("td.regressed"))).toContain("72.0%");
    await shot(page, "golden");
    await matrix.getByRole("link", { name: /v2/ }).click();
    await page.waitForURL(/\/golden\/[^/]+$/);
    await expect.poll(() => text(page.locator(".regressions"))).toContain("classify");
    await expect.poll(() => page.locator("tr.regressed").count()).toBe(1);
    await shot(page, "golden-run");
    await page.close();
  });

  it("lets an analyst read thresholds and alerts but change nothing", async () => {
    const page = await signedIn(SEED_USERS.analyst);
    await page.goto(`${server.url}/thresholds`);
    await expect.poll(() => page.locator(`tr[data-policy="${DRIFT.workflow}/${DRIFT.step}"]`).count()).toBe(1);
    await expect.poll(() => page.locator("li.change").count()).toBe(1);
    expect(await page.getByRole("button", { name: /Edit|Revert|New policy/ }).count()).toBe(0);
    // The drift alert in words: the feature that moved, by how much, against which cut-off.
    await expect
      .poll(() => text(page.locator("[data-alert]")))
      .toMatch(new RegExp(`^drift on ${DRIFT.step} · (confidence|amount|channel|output): (PSI [0-9.]+ ≥ 0\\.25|(KS|χ²) p = \\S+ < 0\\.01)$`));
    await shot(page, "thresholds-alerts");
    await page.close();
  });

  it("lets an admin revert the auto-tightened threshold, then edit and create policies", async () => {
    const page = await signedIn(SEED_USERS.admin);
    await page.goto(`${server.url}/thresholds`);
    const row = page.locator(`tr[data-policy="${DRIFT.workflow}/${DRIFT.step}"]`);
    // The drift alert fired and auto-tighten raised the step's spot-check rate (drift alone never
    // moves minConfidence: there are no labels to choose a threshold on).
    await expect.poll(() => text(row.locator('[data-field="spotCheckRate"]'))).toBe("0.1");
    await expect.poll(() => text(row.locator('[data-field="minConfidence"]'))).toBe(String(DRIFT.policy.minConfidence));
    await expect.poll(() => page.locator("table").nth(1).locator("td.bad").allTextContents()).toContain("firing");
    await shot(page, "thresholds-before");

    await page.getByRole("button", { name: "Revert…" }).click();
    await page.getByLabel("Reason").fill("the drift was a data backfill");
    await page.getByRole("button", { name: "Revert", exact: true }).click();
    await expect.poll(() => text(page.locator("li.change .badge"))).toBe("reverted");
    await expect.poll(() => text(row.locator('[data-field="spotCheckRate"]'))).not.toBe("0.1");

    await row.getByRole("button", { name: /Edit/ }).click();
    await expect.poll(() => page.evaluate<string | undefined>("document.activeElement?.id")).toBe("policy-form-title");
    await page.getByLabel("Spot-check rate").fill("0.1");
    await page.getByLabel("Min confidence").fill("1.5");
    await page.getByRole("button", { name: "Save policy" }).click();
    await expect.poll(() => text(page.getByRole("alert"))).toContain("Min confidence must be a number from 0 to 1");
    await page.getByLabel("Min confidence").fill("0.55");
    await page.getByLabel("Reason", { exact: true }).fill("sample more while the backfill settles");
    await page.getByRole("button", { name: "Save policy" }).click();
    await expect.poll(() => text(page.getByRole("status"))).toContain("Saved");
    await expect.poll(() => text(row.locator('[data-field="minConfidence"]'))).toBe("0.55");
    await expect.poll(() => text(page.locator("table").last())).toContain("sample more while the backfill settles");

    await page.getByRole("button", { name: "New policy…" }).click();
    await page.getByLabel("Workflow").fill(DRIFT.workflow);
    await page.getByLabel("On low").selectOption("flag");
    await page.getByLabel("Reason", { exact: true }).fill("flag rather than block across the workflow");
    await page.getByRole("button", { name: "Save policy" }).click();
    await expect.poll(() => page.locator(`tr[data-policy="${DRIFT.workflow}/"]`).count()).toBe(1);
    await shot(page, "thresholds-after");

    // Raising the workflow's min confidence does nothing for a step with its own: the form says so.
    await page.locator(`tr[data-policy="${DRIFT.workflow}/"]`).getByRole("button", { name: /Edit/ }).click();
    await page.getByLabel("Min confidence").fill("0.7");
    await expect
      .poll(() => text(page.locator("[data-precedence]")))
      .toContain(`Min confidence: step ${DRIFT.step} (0.55) sets its own, which wins; this value applies to the other steps only.`);
    await shot(page, "thresholds-precedence");
    await page.close();
  });

  it("counts every run of a busy workflow from the hourly counts, not one page, and says why a rate is missing", async () => {
    // More runs than one page of the runs list (500), over each of the last 7 days; sent after
    // the seed's rollup, so the rollups hold none of them yet. Last, so that the thousands of
    // audit entries they add change no other test.
    const realNow = Date.now;
    const today = Math.floor(realNow() / 86_400_000) * 86_400_000;
    const perDay = 76;
    for (let d = 6; d >= 0; d--) {
      const at = today - d * 86_400_000 + Math.floor((realNow() - today) / 2);
      Date.now = () => at;
      try {
        const st = new Seamtrace({ endpoint: server.url, apiKey: server.apiKey });
        const wf = st.workflow(BUSY, { version: "1" });
        await Promise.all(
          Array.from({ length: perDay }, (_, i) =>
            wf.run({ input: { n: i }, key: `busy-${d}-${i}` }, (run) => run.step("intake", { input: i }, async () => ({ value: i, confidence: 0.9 }))),
          ),
        );
        await st.shutdown();
      } finally {
        Date.now = realNow;
      }
    }
    const page = await signedIn(SEED_USERS.analyst);
    await page.goto(`${server.url}/?workflow=${BUSY}`);
    await expect.poll(() => text(page.locator('[data-figure="runs"] .value'))).toBe(String(7 * perDay));
    // The sparkline's label carries its values: every day counted, none cut off by a page.
    await expect.poll(() => page.locator('[data-figure="runs"] svg').getAttribute("aria-label")).toBe(`Runs: ${Array(7).fill(perDay).join(", ")}`);
    await expect.poll(() => text(page.locator('[data-figure="escalation"] .value'))).toBe("—");
    await expect.poll(() => text(page.locator('[data-figure="escalation"] .hint'))).toBe("no steps rolled up in the last 7 days");
    await shot(page, "overview-busy");
    await page.close();
  });

  it("takes a disagreement between two reviewers to a lead, who sees the decisions side by side and settles it", async () => {
    // Seeded here, after the other tests, so their run and queue counts stay as they were.
    const team = await seedTeamReview(server);
    const item = (page: Page) => page.locator(`tr[data-escalation="${team.escalationId}"]`);

    // The first reviewer finds it through the group filter, with its progress and deadline.
    const first = await signedIn(SEED_USERS.reviewer);
    await first.goto(`${server.url}/review`);
    await first.getByLabel("Group").selectOption(TEAM.group);
    await first.waitForURL((u) => u.searchParams.get("group") === TEAM.group);
    await expect.poll(() => first.locator("tr[data-escalation]").count()).toBe(1);
    await expect.poll(() => text(item(first))).toContain("0 of 2 decided, unanimous");
    await expect.poll(() => text(item(first))).toMatch(/due in \d+ min, then rejected/);
    await item(first).getByRole("link", { name: "Review" }).click();
    await expect.poll(() => text(first.locator(".team"))).toContain("0 of 2 decided");
    await first.getByLabel("Accept the output").check();
    await first.locator("#reason").fill("storm damage, as the photos show");
    await first.getByRole("button", { name: "Submit decision" }).click();
    // Still collecting: the reviewer sees their own decision only, and no form.
    await expect.poll(() => text(first.locator("p[role=status]", { hasText: "You decided" }))).toContain("1 of 2 decided");
    await expect.poll(() => first.locator("article.decision").count()).toBe(1);
    await expect.poll(() => first.getByRole("button", { name: "Submit decision" }).count()).toBe(0);
    await shot(first, "team-review-first-decided");
    await first.close();

    // The second reviewer disagrees; "My queue" holds the item for them.
    const second = await signedIn(TEAM.reviewer2);
    await second.goto(`${server.url}/review?mine=true`);
    await item(second).getByRole("link", { name: "Review" }).click();
    await second.getByLabel("Reject", { exact: true }).check();
    await second.locator("#reason").fill("wear and tear, not a storm");
    await second.getByRole("button", { name: "Submit decision" }).click();
    await expect.poll(() => text(second.locator(".team"))).toContain("disputed");
    await expect.poll(() => text(second.getByRole("status").filter({ hasText: "disagree" }))).toContain("An admin or a lead decides it now");
    await expect.poll(() => second.getByRole("button", { name: "Settle the dispute" }).count()).toBe(0);
    await second.close();

    // The lead: the queue of disputes, then both decisions side by side and the final say.
    const lead = await signedIn(TEAM.lead);
    await expect
      .poll(() => lead.getByRole("navigation", { name: "Main" }).getByRole("link").allTextContents())
      .toEqual(["Overview", "Runs", "Review queue", "Agreement", "Audit"]);
    await lead.goto(`${server.url}/review`);
    await lead.getByLabel("Status").selectOption("disputed");
    await expect.poll(() => lead.locator("tr[data-escalation]").count()).toBe(1);
    await item(lead).getByRole("link", { name: "Adjudicate" }).click();
    const side = lead.getByRole("region", { name: "The decisions, side by side" });
    await expect.poll(() => side.locator("article.decision").count()).toBe(2);
    await expect
      .poll(() => side.locator("article.decision").allTextContents())
      .toEqual([
        expect.stringMatching(new RegExp(`Reviewer ${SEED_USERS.reviewer}.*accept.*storm damage, as the photos show`, "s")),
        expect.stringMatching(new RegExp(`Reviewer ${TEAM.reviewer2}.*reject.*wear and tear, not a storm`, "s")),
      ]);
    await lead.getByRole("heading", { name: "Adjudication" }).waitFor();
    await shot(lead, "team-review-adjudication");
    await lead.getByLabel("Correct it").check();
    await lead.locator("#editor").fill('"hail"');
    await lead.locator("#reason").fill("hail, from the weather report for that day");
    await lead.getByRole("button", { name: "Settle the dispute" }).click();
    await lead.getByRole("heading", { name: "Decided: correct" }).waitFor();
    await expect.poll(() => text(lead.locator(".decided"))).toContain("Settled by an adjudicator");
    await expect.poll(() => text(lead.locator(".decided"))).toContain(`By ${TEAM.lead} at `);
    const all = lead.getByRole("region", { name: "Every decision" });
    await expect.poll(() => all.locator("article.decision").count()).toBe(3);
    // Both reviewers are overridden (neither corrected to "hail"); the lead's decision is final.
    await expect.poll(() => all.locator("article.decision.overridden").count()).toBe(2);
    await expect.poll(() => text(all.locator("article.decision.final"))).toMatch(/correct.*final.*for that day\s*hail$/s);
    await shot(lead, "team-review-adjudicated");

    // The agreement page measures the two reviewers: they agreed on none of one item.
    await lead.goto(`${server.url}/agreement`);
    const row = lead.locator(`tr[data-step="${TEAM.workflow}/${TEAM.step}"]`);
    await expect.poll(() => text(row)).toContain("0.0%");
    await expect
      .poll(() => lead.locator("table[data-table=pairs] tbody tr").allTextContents())
      .toEqual([expect.stringContaining(`${SEED_USERS.reviewer} · ${TEAM.reviewer2}`)]);
    // Accuracy on known answers is for admins only.
    await expect.poll(() => lead.locator("table[data-table=accuracy]").count()).toBe(0);
    await shot(lead, "team-review-agreement");
    await lead.close();
  });

  it("loads every page without console errors or CSP refusals", () => {
    expect(problems).toEqual([]);
  });
});
