// A separate SDK process for the restart tests: `escalate` starts a run with a key and exits once
// it is escalated; `resume` runs again with the same key in a fresh process. Prints JSON.
import { reviewClient, reviewPipeline } from "./review-loop.js";

const [mode, endpoint, apiKey, key] = process.argv.slice(2) as [string, string, string, string];
const calls: Record<string, number> = {};
const { st, wf } = reviewClient(endpoint, apiKey);
const result = await wf.run({ input: "roof", key }, reviewPipeline(calls));
await st.shutdown({ timeoutMs: 5_000 });
process.stdout.write(JSON.stringify({ mode, result, calls }) + "\n");
