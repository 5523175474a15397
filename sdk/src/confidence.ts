import type { ConfidenceSource } from "./types.js";

/**
 * What a confidence may be: a finite number in [0, 1], or absent (the step is unscored).
 * Anything else is a bug in the code that produced it, and bending it (clamping 1.7 to 1, or
 * "0.9" to 0) would let a wrong value through a gate, or stop a right one, with no word why.
 */

/** True for a finite number in [0, 1]. NaN fails both comparisons; ±Infinity fails one. */
export function isConfidence(c: unknown): c is number {
  return typeof c === "number" && c >= 0 && c <= 1;
}

/**
 * The error a step fails with when it returns a confidence that is not a finite number in
 * [0, 1]. The run stops and explains, as for a step that threw after its last attempt:
 * `run()` resolves `failed`, and the step's `step.failed` event carries this error.
 * @example
 * const r = await wf.run({}, (run) => run.step("extract", async () => ({ value: fields, confidence: 85 })));
 * r.failure?.error.name;    // "InvalidConfidence"
 * r.failure?.error.message; // step "extract" returned confidence 85: … (a percentage? divide by 100)
 */
export class InvalidConfidenceError extends Error {
  override readonly name = "InvalidConfidence";
  constructor(
    /** The step's name. */
    readonly step: string,
    /** The value it returned as its confidence. */
    readonly value: unknown,
  ) {
    super(
      `step "${step}" returned confidence ${show(value)}: a confidence is a finite number in [0, 1], or left out when the step has none` +
        (typeof value === "number" && value > 1 && value <= 100 ? " (a percentage? divide by 100)" : ""),
    );
  }
}

const SOURCES: ReadonlySet<string> = new Set<ConfidenceSource>(["self-reported", "logprob", "judge", "consistency", "rule"]);

/** True for one of the `ConfidenceSource` names. */
export function isConfidenceSource(s: unknown): s is ConfidenceSource {
  return typeof s === "string" && SOURCES.has(s);
}

/**
 * The error a step fails with when it names a confidence source that is not one of
 * `ConfidenceSource`: calibration is measured per source, so a misspelt one would file the
 * step's labels under a source nobody reads (and the server refuses the event).
 * @example
 * const r = await wf.run({}, (run) => run.step("extract", async () => ({ value: fields, confidence: 0.8, confidenceSource: "llm" as never })));
 * r.failure?.error.name; // "InvalidConfidenceSource"
 */
export class InvalidConfidenceSourceError extends Error {
  override readonly name = "InvalidConfidenceSource";
  constructor(
    /** The step's name. */
    readonly step: string,
    /** The value it gave as its confidence source. */
    readonly value: unknown,
  ) {
    super(`step "${step}" gave confidence source ${show(value)}: one of ${[...SOURCES].join(", ")}, or left out`);
  }
}

/** The value as a developer would write it: strings quoted, so "0.9" does not read as 0.9. */
function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.slice(0, 100));
  if (typeof value === "object" && value !== null) {
    try {
      return (JSON.stringify(value) ?? String(value)).slice(0, 100);
    } catch {
      return String(value);
    }
  }
  return String(value); // NaN, Infinity, -0.2, null, true
}
