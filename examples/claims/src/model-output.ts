/**
 * What every heuristic model returns. Shaped like the SDK's `StepResult`, so a model's output
 * can be returned from `run.step()` as is, while the models themselves stay free of the SDK
 * (the golden executor and the tests call them directly).
 */

/** A model's answer with the evidence behind it. */
export interface ModelOutput<V> {
  value: V;
  /** Estimated probability that `value` is correct, from evidence only (never from the truth). */
  confidence: number;
  /** Why, in a sentence or two a reviewer can check. */
  reasoning: string;
  /** Other values the model considered, best first, for a reviewer to pick from. */
  alternatives?: V[];
  /** Inputs and outputs summarised for drift detection. */
  features?: Record<string, number | string | boolean>;
}

/** One field's reading inside a model: a value, how sure, and why. */
export interface Reading<T> {
  value: T;
  confidence: number;
  why: string;
  alternatives?: T[];
  /**
   * The kind of evidence, named as in the parameters' confidence table (`labelOnly`, `iso`, …),
   * when the confidence is exactly that kind's: retraining measures each kind's accuracy.
   */
  kind?: string;
}

/** Rounds a confidence for output: four decimals is plenty, and keeps events compact. */
export function roundConfidence(p: number): number {
  return Math.round(Math.min(1, Math.max(0, p)) * 10_000) / 10_000;
}
