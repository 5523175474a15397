#!/usr/bin/env node
/**
 * The review loop with the claims example, as the README walks through it:
 *
 *   node examples/claims/dist/review-loop.js run [count]   process generated claims; list escalations
 *   node examples/claims/dist/review-loop.js resume        resume every run whose review has arrived
 *
 * Reads SEAMTRACE_ENDPOINT (default http://127.0.0.1:7077) and SEAMTRACE_API_KEY. Prints one
 * JSON object per line, so scripts (and the tests) can read it.
 */
import { Seamtrace } from "@seamtrace/sdk";
import { generateClaims } from "./generator.js";
import { claimsWorkflow } from "./workflow.js";

const [mode = "run", countArg = "20"] = process.argv.slice(2);
const apiKey = process.env.SEAMTRACE_API_KEY;
if (!apiKey || (mode !== "run" && mode !== "resume")) {
  process.stderr.write("usage: SEAMTRACE_API_KEY=st_… node review-loop.js run [count] | resume\n");
  process.exit(2);
}
const st = new Seamtrace({ endpoint: process.env.SEAMTRACE_ENDPOINT ?? "http://127.0.0.1:7077", apiKey });
const claims = claimsWorkflow(st);
const print = (o: unknown) => process.stdout.write(JSON.stringify(o) + "\n");

if (mode === "run") {
  // Seeded by the day, so running it again the same day replays the same claims (same keys).
  const seed = Number(new Date().toISOString().slice(0, 10).replaceAll("-", ""));
  for (const c of generateClaims({ seed, count: Number(countArg) })) {
    const r = await claims.process(c.email);
    print({ runId: r.runId, status: r.status, route: r.output ?? null, escalation: r.escalation ?? null });
  }
} else {
  // One pass over the reviews waiting for a worker; a long-lived worker would keep the handler.
  let pending = Promise.resolve();
  const seen = new Set<string>();
  const stop = st.onResolved(
    (review) => {
      if (review.workflow !== claims.workflow.name || seen.has(review.runId)) return;
      seen.add(review.runId);
      pending = pending.then(async () => {
        const r = await claims.resume(review.runId);
        print({ runId: r.runId, status: r.status, route: r.output ?? null, decision: review.decision });
      });
    },
    { pollMs: 500 },
  );
  await new Promise((r) => setTimeout(r, 1_500));
  stop();
  await pending;
}
await st.shutdown({ timeoutMs: 5_000 });
