import { defineConfig } from "vitest/config";

// Workspace packages export a "source" condition pointing at their TypeScript, so tests run
// against src/ without a build and stack traces point at real lines.
// No "module": it picks ESM builds meant for bundlers, such as OpenTelemetry's, whose
// extensionless imports Node's own loader refuses.
const conditions = ["source", "node", "import", "default"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["source"] } },
  test: {
    include: [
      "sdk/src/**/*.test.ts",
      "server/src/**/*.test.ts",
      "golden/src/**/*.test.ts",
      "examples/claims/src/**/*.test.ts",
      "test/**/*.test.ts",
      // Pure UI modules (chart maths, routing, the API client): no DOM needed.
      "ui/src/**/*.test.ts",
    ],
    exclude: ["**/node_modules/**", "**/dist/**"],
    environment: "node",
    // The full reliability suites (npm run test:reliability) run for many minutes.
    testTimeout: process.env.SEAMTRACE_RELIABILITY === "full" ? 3_600_000 : 30_000,
    hookTimeout: process.env.SEAMTRACE_RELIABILITY === "full" ? 600_000 : 60_000,
    pool: "forks",
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
