import { describe, expect, it } from "vitest";
import { DAY_MS, planDays } from "./plan.js";

const END = Date.UTC(2026, 10, 24, 2, 40);

describe("the demo's calendar", () => {
  it("settles, drifts on v1 to full shift, then serves v2 on the fully drifted traffic (7 days)", () => {
    const plan = planDays(7, END);
    expect(plan.map((d) => [d.model, d.shift])).toEqual([
      ["v1", 0],
      ["v1", 0],
      ["v1", 0.333],
      ["v1", 0.667],
      ["v1", 1],
      ["v2", 1],
      ["v2", 1],
    ]);
  });

  it("ends at the hour before endAt, a day apart, so the dashboard's default window shows every day", () => {
    const plan = planDays(5, END);
    expect(plan.at(-1)!.start + DAY_MS).toBe(Date.UTC(2026, 10, 24, 2));
    for (let i = 1; i < plan.length; i++) expect(plan[i]!.start - plan[i - 1]!.start).toBe(DAY_MS);
  });

  it("keeps a fully drifted v1 day before the retrain however short the demo", () => {
    for (const days of [3, 4, 10, 30]) {
      const plan = planDays(days, END);
      const v1 = plan.filter((d) => d.model === "v1");
      expect(v1.at(-1)!.shift, `${days} days`).toBe(1);
      expect(plan.filter((d) => d.model === "v2").every((d) => d.shift === 1)).toBe(true);
      expect(plan.some((d) => d.model === "v2")).toBe(true);
    }
    expect(() => planDays(2, END)).toThrow(RangeError);
  });
});
