import { describe, expect, it } from "vitest";
import { matchRoute, pathFor } from "./route-match.js";

const routes = [
  { name: "overview", pattern: "/" },
  { name: "runs", pattern: "/runs" },
  { name: "run", pattern: "/runs/:id" },
] as const;

describe("matchRoute", () => {
  it("matches the root, static and parameterised paths", () => {
    expect(matchRoute(routes, "/")).toEqual({ name: "overview", params: {} });
    expect(matchRoute(routes, "/runs/")).toEqual({ name: "runs", params: {} });
    expect(matchRoute(routes, "/runs/a%2Fb")).toEqual({ name: "run", params: { id: "a/b" } });
  });

  it("returns null for unknown paths and malformed escapes", () => {
    expect(matchRoute(routes, "/nope")).toBeNull();
    expect(matchRoute(routes, "/runs/x/y")).toBeNull();
    expect(matchRoute(routes, "/runs/%E0%A4%A")).toBeNull();
  });

  it("builds paths that round-trip through matching", () => {
    const p = pathFor("/runs/:id", { id: "r 1/<x>" });
    expect(p).toBe("/runs/r%201%2F%3Cx%3E");
    expect(matchRoute(routes, p)?.params.id).toBe("r 1/<x>");
  });
});
