import { describe, expect, it } from "vitest";
import { roleAllows } from "./roles.js";

describe("roleAllows", () => {
  it("lets a lead in wherever a reviewer may go, and nowhere else a reviewer may not", () => {
    expect(roleAllows("lead", ["admin", "reviewer"])).toBe(true);
    expect(roleAllows("lead", ["admin", "analyst"])).toBe(false);
    expect(roleAllows("lead", ["lead"])).toBe(true);
  });

  it("keeps the other roles to what is listed", () => {
    expect(roleAllows("reviewer", ["admin", "reviewer"])).toBe(true);
    expect(roleAllows("reviewer", ["admin", "lead"])).toBe(false);
    expect(roleAllows("analyst", ["admin", "reviewer"])).toBe(false);
    expect(roleAllows("admin", ["admin"])).toBe(true);
  });
});
