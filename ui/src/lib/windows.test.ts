import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { hourWindow } from "../../../server/src/modules/analytics/contract.js";
import { overviewWindows } from "./overview.js";
import { analyticsWindow } from "./windows.js";

describe("the analytics window", () => {
  it("is the analytics API's default window, so every page's figures cover the same hours", () => {
    const ctx = { addIssue: () => {} } as unknown as z.RefinementCtx;
    for (const now of [
      Date.UTC(2026, 2, 6, 12, 0, 0),
      Date.UTC(2026, 2, 6, 12, 0, 0) - 1,
      Date.UTC(2026, 2, 6, 23, 59, 59, 999),
      Date.UTC(2026, 2, 7, 0, 30),
    ]) {
      const server = hourWindow(now, {}, ctx);
      const ui = analyticsWindow(now);
      expect({ from: Date.parse(ui.from), to: Date.parse(ui.to) }).toEqual(server);
      // The overview's ECE and rates read it too, not its whole days of run counts.
      expect(overviewWindows(now).analytics).toEqual(ui);
    }
  });
});
