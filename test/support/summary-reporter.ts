import type { Reporter, TestModule } from "vitest/node";

/**
 * Prints one plain `N passed, N failed` line after everything else, because CI reads the last
 * line of the run. Failed includes errors outside tests (a module that fails to load, an
 * unhandled rejection), which vitest otherwise reports only in its own summary. Skipped tests are
 * listed on the line before; in CI (`CI` set) a skipped test counts as failed, because there every
 * requirement is installed and a skip would hide a suite that never ran.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const skippedIn = new Set<string>();
    for (const mod of modules) {
      let failedHere = 0;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failedHere++;
        else {
          skipped++;
          skippedIn.add(mod.moduleId);
        }
      }
      // A file that failed without a failed test (it did not load, or a beforeAll hook threw
      // and its tests were skipped) still counts, so the closing line can never read 0 failed.
      if (mod.state() === "failed" && failedHere === 0) failedHere = 1;
      failed += failedHere;
    }
    failed += unhandledErrors.length;
    if (process.env.CI) failed += skipped;
    // Deferred so it lands after the default reporter's own summary.
    setImmediate(() => {
      const where = [...skippedIn].map((m) => `  ${m}`).join("\n");
      if (skipped) process.stdout.write(`\n${skipped} skipped${process.env.CI ? " (counted as failed in CI)" : ""}, in:\n${where}\n`);
      process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
    });
  }
}
