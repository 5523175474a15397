// One worker of the resume-lease suite (test/resume/kill-resumer.test.ts), in its own process.
//   hang <runId>:   resumes the run and stops for good inside "pay", after what it did before is
//                   delivered (prints `in pay`), so the suite can kill -9 it mid-run;
//   onResolved:     resumes whatever review `st.onResolved` offers, then prints its result.
// Every call of a step function prints `call <step>`; the outcome prints `result <json>`.
import { Seamtrace } from "@seamtrace/sdk";
import { leasePipeline, LEASE_WORKFLOW } from "./resume-pipeline.js";

const [endpoint, apiKey, mode, runId] = process.argv.slice(2) as [string, string, "hang" | "onResolved", string?];
const st = new Seamtrace({ endpoint, apiKey, transport: { flushIntervalMs: 50 }, onError: (e) => process.stderr.write(`seamtrace: ${String(e)}\n`) });
const wf = st.workflow(LEASE_WORKFLOW, { policy: { minConfidence: 0.6, onLow: "escalate" } });
const say = (line: string) => process.stdout.write(`${line}\n`);

const pipeline = leasePipeline(
  "worker-" + process.pid,
  (step) => say(`call ${step}`),
  async (step) => {
    if (mode !== "hang" || step !== "pay") return;
    await st.flush(); // what this worker did so far is on the server
    say("in pay");
    setInterval(() => {}, 60_000); // and here it stays until it is killed
    await new Promise(() => {});
  },
);

if (mode === "hang") {
  await wf.resume(runId!, pipeline);
} else {
  const done = new Promise<void>((resolve) => {
    const stop = st.onResolved(
      async (review) => {
        const result = await wf.resume(review.runId, pipeline);
        say(`result ${JSON.stringify({ runId: review.runId, status: result.status, output: result.output })}`);
        if (result.status === "completed") {
          stop();
          resolve();
        }
      },
      { pollMs: 200 },
    );
  });
  await done;
  await st.shutdown();
}
