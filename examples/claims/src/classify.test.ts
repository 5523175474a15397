import { describe, expect, it } from "vitest";
import { classifyClaim } from "./classify.js";
import { defaultModelParams } from "./default-params.js";
import type { ClassifyParams } from "./params.js";

const params = defaultModelParams.classify;
const classify = (description: string, p: ClassifyParams = params) => classifyClaim({ description }, p);

describe("classifyClaim", () => {
  it.each([
    ["I was rear-ended at a red light and the bumper of my car is dented.", "auto"],
    ["A pipe burst under the kitchen sink and water flooded the floor.", "property"],
    ["I had knee surgery and the clinic sent a bill.", "health"],
    ["The airline lost my luggage on the way to Spain.", "travel"],
    ["A customer slipped in my shop and is threatening to sue.", "liability"],
  ])("classifies %j as %s with confidence", (text, type) => {
    const r = classify(text);
    expect(r.value).toBe(type);
    expect(r.confidence).toBeGreaterThan(0.8);
    expect(r.features).toMatchObject({ claimType: type });
  });

  it("is unsure when no keyword matches", () => {
    const r = classify("Something happened and I would like some money please.");
    expect(r.confidence).toBeLessThan(0.4);
    expect(r.reasoning).toContain("no keywords");
  });

  it("loses confidence when typos hide the keywords", () => {
    const clean = classify("The airline lost my luggage on the flight and cancelled the hotel booking.");
    const typos = classify("The airlnie lost my lugagge on the fligth and canceled the hotle bokoing.");
    expect(typos.confidence).toBeLessThan(clean.confidence);
  });

  it("is confidently wrong when every word points the wrong way (a ski accident abroad is travel)", () => {
    const r = classify("While skiing in Austria I broke my ankle. I was taken by ambulance to the hospital and needed surgery before I could come back.");
    expect(r.value).toBe("health");
    expect(r.confidence).toBeGreaterThan(0.8);
  });

  it("never predicts cyber with version-1 weights, and does once weights for it are learned", () => {
    const text = "Our office computers were hit by ransomware and a hacker phished our bookkeeper.";
    expect(classify(text).value).not.toBe("cyber");
    expect(classify(text).confidence).toBeLessThan(0.5);
    const retrained: ClassifyParams = { ...params, weights: { ...params.weights, cyber: { ransomware: 3, hacker: 3, phished: 3 } } };
    const r = classify(text, retrained);
    expect(r.value).toBe("cyber");
    expect(r.confidence).toBeGreaterThan(0.9);
  });

  it("spreads probability when the temperature rises", () => {
    const text = "My car was hit in the parking lot.";
    expect(classify(text, { ...params, temperature: 4 }).confidence).toBeLessThan(classify(text).confidence);
  });

  it("offers the runner-up types as alternatives", () => {
    const r = classify("Water from a leak came through the ceiling of the neighbour's apartment and they want us to pay.");
    expect(r.alternatives?.length).toBeGreaterThan(0);
    expect(r.alternatives).not.toContain(r.value);
  });

  it("refuses parameters with no claim type", () => {
    expect(() => classify("car", { weights: {}, bias: {}, temperature: 1 })).toThrow(RangeError);
  });
});
