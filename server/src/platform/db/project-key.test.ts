import { describe, expect, it } from "vitest";
import { PROJECT_KEY, projectIdSql, projectKeySql } from "./project-key.js";

describe("project key lookups", () => {
  it("look a parameter or a qualified column up in project_keys", () => {
    expect(PROJECT_KEY).toBe("(SELECT project_key FROM project_keys WHERE project_id = ?)");
    expect(projectKeySql("?1")).toBe("(SELECT project_key FROM project_keys WHERE project_id = ?1)");
    expect(projectKeySql("p.id")).toBe("(SELECT project_key FROM project_keys WHERE project_id = p.id)");
    expect(projectIdSql("e.project_key")).toBe("(SELECT project_id FROM project_keys WHERE project_key = e.project_key)");
  });

  it("refuse an unqualified column, which inside the lookup would name project_keys' own and match every row", () => {
    expect(() => projectIdSql("project_key")).toThrow(/qualify/);
    expect(() => projectKeySql("project_id")).toThrow(/qualify/);
  });
});
