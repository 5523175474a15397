import { describe, expect, it } from "vitest";
import { collectLogprobs, logprobConfidence, logprobSource, meanTokenProbability, sameJson } from "./confidence.js";

describe("confidence from log-probabilities", () => {
  it("is the geometric mean of the token probabilities", () => {
    expect(meanTokenProbability([Math.log(0.9), Math.log(0.4)])).toBeCloseTo(Math.sqrt(0.9 * 0.4), 12);
    // Unlike the product, it does not shrink with the length of the answer.
    expect(meanTokenProbability(Array(200).fill(Math.log(0.9)))).toBeCloseTo(0.9, 12);
  });

  it("is undefined without tokens, 0 for an impossible token, and ignores values that are no log-probability", () => {
    expect(meanTokenProbability([])).toBeUndefined();
    expect(meanTokenProbability([Math.log(0.9), -Infinity])).toBe(0);
    expect(meanTokenProbability([Math.log(0.5), NaN, 0.7])).toBeCloseTo(0.5, 12);
  });

  it("reads the shapes providers report", () => {
    const chat = [
      { token: "a", logprob: -0.1, top_logprobs: [] },
      { token: "b", logprob: -0.2, top_logprobs: [] },
    ];
    expect(collectLogprobs(chat)).toEqual([-0.1, -0.2]);
    expect(collectLogprobs([chat, [{ logprob: -0.3 }]])).toEqual([-0.1, -0.2, -0.3]); // per output (responses)
    expect(collectLogprobs({ tokens: ["a"], token_logprobs: [-0.4], top_logprobs: null })).toEqual([-0.4]); // completions
    expect(collectLogprobs(undefined)).toEqual([]);
    expect(logprobConfidence({ openai: { logprobs: chat }, other: { x: 1 } })).toBeCloseTo(Math.exp(-0.15), 12);
    expect(logprobConfidence({ openai: { responseId: "r" } })).toBeUndefined();
    expect(logprobConfidence(undefined)).toBeUndefined();
  });
});

describe("logprobSource", () => {
  it("names logprob only for the confidence the log-probabilities gave", () => {
    expect(logprobSource(0.8, 0.8)).toBe("logprob");
    expect(logprobSource(0.9, 0.8)).toBeUndefined();
    expect(logprobSource(0.8, undefined)).toBeUndefined();
    expect(logprobSource(undefined, undefined)).toBeUndefined();
  });
});

describe("sameJson", () => {
  it("compares JSON values structurally, key order aside", () => {
    expect(sameJson({ a: 1, b: [1, { c: "x" }] }, { b: [1, { c: "x" }], a: 1 })).toBe(true);
    expect(sameJson({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(sameJson([1, 2], [2, 1])).toBe(false);
    expect(sameJson({ a: null }, { a: 0 })).toBe(false);
    expect(sameJson([], {})).toBe(false);
  });
});
