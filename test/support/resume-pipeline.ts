import type { Run } from "@seamtrace/sdk";

export const LEASE_WORKFLOW = "lease-claims";

/**
 * The resume-lease suite's pipeline: extract → classify (unsure: escalates) → enrich → pay →
 * notify. `called` hears every call of a step function; `before` runs inside a step first (a
 * worker that must stop at "pay" blocks there).
 */
export function leasePipeline(worker: string, called: (step: string) => void, before: (step: string) => Promise<void> = async () => {}) {
  const fn =
    <V>(name: string, value: () => V, confidence: number) =>
    async () => {
      called(name);
      await before(name);
      return { value: value(), confidence };
    };
  return async (run: Run) => {
    const fields = await run.step(
      "extract",
      fn("extract", () => ({ amount: 900 }), 0.95),
    );
    const kind = await run.step(
      "classify",
      { from: [fields] },
      fn("classify", () => "storm", 0.4),
    );
    const enriched = await run.step(
      "enrich",
      { from: [kind] },
      fn("enrich", () => `${kind.value}+photos`, 0.9),
    );
    const paid = await run.step(
      "pay",
      { from: [enriched] },
      fn("pay", () => `paid ${enriched.value}`, 1),
    );
    await run.step(
      "notify",
      { from: [paid] },
      fn("notify", () => `sent by ${worker}`, 1),
    );
    return paid.value;
  };
}
