import { describe, expect, it } from "vitest";
import { PeopleDirectory, userIdOf, type Person } from "./people.js";

const ID1 = "01a20b33-eca5-7324-b1aa-edb3468a927b";
const ID2 = "01a20b33-eca5-7324-b1aa-edb3468a9280";

describe("people by email", () => {
  it("knows which actors are people", () => {
    expect(userIdOf(`user:${ID1}`)).toBe(ID1);
    expect(userIdOf(ID1)).toBe(ID1);
    expect(userIdOf("sdk:key-1")).toBeNull();
    expect(userIdOf("system:cli")).toBeNull();
  });

  it("shows emails once looked up, asking for every id of one render in one request, once", async () => {
    const asked: string[][] = [];
    const people: Person[] = [{ id: ID1, email: "ana@example.test", name: "Ana" }];
    const dir = new PeopleDirectory(async (ids) => {
      asked.push(ids);
      return people.filter((p) => ids.includes(p.id));
    });
    expect(dir.label(`user:${ID1}`)).toBe(`user:${ID1}`);
    expect(dir.label(ID2)).toBe(ID2);
    expect(dir.label("sdk:key-1")).toBe("API key key-1");
    expect(dir.label("sdk:01a24c16-fdb8-77d2-a59e-a3d15b92d31f")).toBe("API key 01a24c16…d31f");
    expect(dir.label("system:auto-tighten")).toBe("system:auto-tighten");
    await dir.flush();
    expect(asked).toEqual([[ID1, ID2]]);
    expect(dir.label(`user:${ID1}`)).toBe("ana@example.test");
    expect(dir.label(ID1)).toBe("ana@example.test");
    // Not a user of this project: its id stays, and it is not asked for again.
    expect(dir.label(ID2)).toBe(ID2);
    await dir.flush();
    expect(asked).toHaveLength(1);
  });
});
