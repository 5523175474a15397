import { describe, expect, it } from "vitest";
import { executeGoldenSet, type GoldenWorkflowModule } from "./executor.js";

describe("executeGoldenSet with an event that cannot be recorded", () => {
  it("reports the step as failed with the cause, not as a step the run never reached", async () => {
    const mod: GoldenWorkflowModule = {
      createGoldenWorkflow: (st) => {
        const wf = st.workflow("lossy");
        return {
          run: (input) =>
            wf.run({ input }, async (run) => {
              const a = await run.step("total", () => ({ value: 10n })); // a BigInt is not JSON
              return (await run.step("label", { from: [a] }, () => ({ value: "ok" }))).value;
            }),
        };
      },
    };
    const [r] = await executeGoldenSet([{ id: "x", input: 1, expected: { total: 10, label: "ok" } }], mod);
    expect(r!.steps.total).toEqual({ status: "failed", reason: expect.stringMatching(/^its event was not recorded \(serialize_error: TypeError: .*BigInt/) });
    expect(r!.steps.label).toMatchObject({ status: "ok" });
  });
});
