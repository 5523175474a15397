import { describe, expect, it } from "vitest";
import { defaultModelParams } from "./default-params.js";
import { routeClaim } from "./route.js";

const params = defaultModelParams.route;

describe("routeClaim", () => {
  it("routes by reserve band", () => {
    expect(routeClaim(0, params).value).toBe("close-no-payment");
    expect(routeClaim(900, params).value).toBe("fast-track");
    expect(routeClaim(9_000, params).value).toBe("adjuster");
    expect(routeClaim(90_000, params).value).toBe("senior-adjuster");
  });

  it("is confident far from a boundary and less so next to one", () => {
    expect(routeClaim(900, params).confidence).toBe(params.far);
    expect(routeClaim(2_400, params).confidence).toBeLessThan(params.far);
    expect(routeClaim(2_500, params).confidence).toBeCloseTo(params.atBoundary, 5);
    expect(routeClaim(26_000, params).confidence).toBeLessThan(routeClaim(40_000, params).confidence);
    expect(routeClaim(2_400, params).reasoning).toContain("boundary");
  });

  it("is unsure of a zero reserve, which usually comes from an upstream mismatch", () => {
    expect(routeClaim(0, params).confidence).toBe(params.zero);
    expect(params.zero).toBeLessThan(0.5);
  });
});
