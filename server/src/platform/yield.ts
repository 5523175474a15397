/**
 * Gives the event loop a turn: pending I/O, timers and other requests run before the caller
 * continues.
 *
 * Why this exists: the embedded libSQL driver answers every query synchronously, so its promises
 * are already settled and a loop of `await execute(…)` never lets Node do anything else. Measured
 * before this helper: verifying the audit chain over 60k entries froze the whole server (ingest,
 * health checks, the dashboard) for 1.9 s — 18 s at a million entries — and a rollup of 60k events
 * for 0.37 s. The same loops also hold the driver's native statements until the loop ends: they
 * are freed by finalizers that only run between turns (a tight loop of 300k queries grew RSS by
 * ~1 GB; the same loop with a turn every 1,000 queries stayed at ~80 MB).
 *
 * Call it once per page or chunk of any loop whose length depends on the data.
 */
export { setImmediate as yieldToEventLoop } from "node:timers/promises";
