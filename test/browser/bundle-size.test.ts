import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/server.js";

/** Budget: the dashboard's JavaScript under 150 KB gzip. The API reference is its own page. */
const BUDGET = 150 * 1024;
const dist = join(repoRoot, "ui/dist");

/** The JS the dashboard page loads: its entry script, modulepreloads, and their static imports. */
function dashboardScripts(): string[] {
  const html = readFileSync(join(dist, "index.html"), "utf8");
  const queue = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
  const seen = new Set<string>();
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = readFileSync(join(dist, file), "utf8");
    for (const m of code.matchAll(/(?:import|from)\s*"\.\/([^"]+\.js)"/g)) queue.push(`assets/${m[1]}`);
  }
  return [...seen];
}

describe("dashboard bundle", () => {
  it("keeps the dashboard's JavaScript under 150 KB gzip, without the API reference's code", () => {
    const files = dashboardScripts();
    expect(files.length).toBeGreaterThan(0);
    expect(files.some((f) => f.includes("reference"))).toBe(false);
    const gz = files.reduce((sum, f) => sum + gzipSync(readFileSync(join(dist, f))).length, 0);
    console.log(`dashboard JS: ${files.length} file(s), ${(gz / 1024).toFixed(1)} KB gzip`);
    expect(gz).toBeLessThan(BUDGET);
  });
});
