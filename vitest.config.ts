import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

// Workspace packages export a "source" condition pointing at their TypeScript, so tests run
// against src/ without a build and stack traces point at real lines.
// No "module": it picks ESM builds meant for bundlers, such as OpenTelemetry's, whose
// extensionless imports Node's own loader refuses.
const conditions = ["source", "node", "import", "default"];
const full = process.env.SEAMTRACE_RELIABILITY === "full";

/** Tests beside the code, in every package. */
const besideCode = ["sdk/src/**/*.test.ts", "server/src/**/*.test.ts", "golden/src/**/*.test.ts", "examples/*/src/**/*.test.ts", "ui/src/**/*.test.ts"];

/**
 * Tests beside the code that start other processes or simulate for a long while: they run with
 * the integration suites, so `npm run test:unit` stays a quick check that needs no build.
 */
const slowBesideCode = [
  "sdk/src/spool.test.ts", // spawns competing processes for the spool's lock
  "sdk/src/transport-host.test.ts", // hosts the transport in child processes
  "sdk/src/policy-client.test.ts", // idem
  "server/src/modules/jobs/scheduler.test.ts", // two scheduler processes on one store
  "server/src/modules/auth/routes.test.ts", // dozens of scrypt hashes at production cost
  "server/src/modules/auth/password.test.ts", // idem
  "server/src/modules/policies/drift-tighten.test.ts", // days of simulated traffic
  "server/src/modules/policies/routes.test.ts",
  "server/src/modules/exports/routes.test.ts",
  "server/src/modules/analytics/routes.test.ts",
  "server/src/modules/analytics/rollup-job.test.ts",
  "server/src/modules/audit/store.test.ts",
  "server/src/modules/audit/tamper-matrix.test.ts", // a store built per case, users' scrypt hashes included
  "server/src/modules/golden/routes.test.ts",
  "server/src/platform/db/packed-rows.test.ts",
  "server/src/platform/db/stored-id.test.ts", // SQL and JS agree, on a store in memory
  "server/src/modules/ingest/otlp/order.property.test.ts", // 40 random traces, each sent twice over HTTP
  "golden/src/chaos.test.ts",
  "sdk/src/transport-outage.test.ts", // outages simulated on real timers
  "examples/claims/src/retrain.test.ts", // fits the retrained models on generated exports
  "server/src/**/*.simulation.test.ts", // seeded simulations of the statistics' guarantees
];

/**
 * Tests beside the code that open a real store (a libSQL file through the test context or the
 * store itself) belong with the integration suites too: `npm run test:unit` stays the pure,
 * quick check of logic, and every store-backed test still runs in `npm test`.
 */
function storeBackedTests(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === "node_modules" || e.name === "dist") return [];
    const path = join(dir, e.name);
    if (e.isDirectory()) return storeBackedTests(path);
    if (!e.name.endsWith(".test.ts")) return [];
    return /test-support\/testing\.js|platform\/db\/client\.js|\.\/client\.js"|createTestContext/.test(readFileSync(path, "utf8")) ? [path] : [];
  });
}
const storeBacked = ["sdk/src", "server/src", "golden/src", "examples", "ui/src"].flatMap((dir) => storeBackedTests(dir));
const integrationBesideCode = [...new Set([...slowBesideCode, ...storeBacked])];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["source"] } },
  test: {
    exclude: ["**/node_modules/**", "**/dist/**"],
    environment: "node",
    // A timeout only catches a hang: it is long enough that a slow or loaded machine never
    // fails a test that would pass on a fast one. The full reliability suites run for minutes.
    testTimeout: full ? 3_600_000 : 300_000,
    hookTimeout: full ? 600_000 : 300_000,
    pool: "forks",
    // eventsource-parser (under the AI SDK) also exports a "source" condition, pointing at
    // TypeScript that Node cannot load: Vite transforms it, and the AI SDK packages that import it.
    server: { deps: { inline: ["ai", /@ai-sdk\//, "eventsource-parser"] } },
    reporters: ["default", "./test/support/summary-reporter.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: [...besideCode, "test/contract/layering.test.ts"],
          exclude: ["**/node_modules/**", "**/dist/**", ...integrationBesideCode],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: [...integrationBesideCode, "test/**/*.test.ts"],
          exclude: ["**/node_modules/**", "**/dist/**", "test/contract/layering.test.ts"],
        },
      },
    ],
  },
});
