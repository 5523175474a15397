import { Seamtrace, type Run } from "@seamtrace/sdk";

/**
 * A three-step pipeline for the review-loop tests: `classify` is unsure of "storm" damage and
 * escalates; `reserve` uses whatever classify settles on. `calls` counts how often user code ran.
 */
export function reviewPipeline(calls: Record<string, number>) {
  const count = (name: string) => (calls[name] = (calls[name] ?? 0) + 1);
  return async (run: Run) => {
    const fields = await run.step("extract", { input: "storm tore the roof" }, async () => (count("extract"), { value: { amount: 4000 }, confidence: 0.95 }));
    const kind = await run.step(
      "classify",
      { from: [fields] },
      async () => (count("classify"), { value: "storm", confidence: 0.41, alternatives: ["flood", "fire"] }),
    );
    const reserve = await run.step(
      "reserve",
      { from: [kind] },
      async () => (count("reserve"), { value: `${kind.value}:${fields.value.amount * 1.1}`, confidence: 0.9 }),
    );
    return reserve.value;
  };
}

export function reviewClient(endpoint: string, apiKey: string) {
  const st = new Seamtrace({ endpoint, apiKey });
  const wf = st.workflow("roof-claims", { version: "1", policy: { minConfidence: 0.6, onLow: "escalate" } });
  return { st, wf };
}
