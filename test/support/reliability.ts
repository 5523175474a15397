/**
 * The frame shared by the reliability suites in test/reliability/.
 *
 * Each suite runs twice over: a reduced form inside `npm test` (so CI exercises every fault on
 * every push), and the full form the issue specifies under `npm run test:reliability`
 * (SEAMTRACE_RELIABILITY=full). Both write a JSON summary — what was injected, what was
 * observed — to reliability-results/<name>.json (or SEAMTRACE_RELIABILITY_OUT), from which the
 * README's table is made. Summaries are measurements, never assertions on timing.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** True under `npm run test:reliability`. */
export const FULL = process.env.SEAMTRACE_RELIABILITY === "full";

/** The reduced figure inside `npm test`, the full one under `npm run test:reliability`. */
export function scale<T>(reduced: T, full: T): T {
  return FULL ? full : reduced;
}

/** Where summaries go. */
export function resultsDir(): string {
  const dir = resolve(process.env.SEAMTRACE_RELIABILITY_OUT ?? "reliability-results");
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Write one suite's summary (pretty JSON, with the mode and the time it ran). */
export function writeSummary(name: string, summary: Record<string, unknown>): string {
  const file = join(resultsDir(), `${name}.json`);
  const body = { name, mode: FULL ? "full" : "reduced", at: new Date().toISOString(), ...summary };
  writeFileSync(file, JSON.stringify(body, null, 2) + "\n");
  return file;
}
