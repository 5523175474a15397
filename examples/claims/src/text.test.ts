import { describe, expect, it } from "vitest";
import { editDistance, parseNumberWords, sameName, stem, titleCase } from "./text.js";

describe("parseNumberWords", () => {
  it.each([
    ["twelve hundred", 1_200],
    ["twenty-five hundred", 2_500],
    ["three thousand five hundred", 3_500],
    ["forty-two thousand", 42_000],
    ["seven hundred", 700],
    ["one thousand and fifty", 1_050],
  ])("reads %s as %d", (text, n) => {
    expect(parseNumberWords(text)).toBe(n);
  });

  it("returns null for words that are not numbers", () => {
    expect(parseNumberWords("about twelve")).toBeNull();
    expect(parseNumberWords("")).toBeNull();
    expect(parseNumberWords("constructor")).toBeNull();
  });
});

describe("editDistance", () => {
  it("counts a swap of neighbouring digits as one slip", () => {
    expect(editDistance("1234567", "1243567")).toBe(1);
  });
  it("counts a changed digit as one slip and two changes as two", () => {
    expect(editDistance("1234567", "1234568")).toBe(1);
    expect(editDistance("1234567", "1234578")).toBe(2);
    expect(editDistance("1234567", "1234567")).toBe(0);
  });
});

describe("stem", () => {
  it("gives inflections of one word the same stem", () => {
    expect(stem("flooded")).toBe(stem("flood"));
    expect(stem("floods")).toBe(stem("flood"));
    expect(stem("damaged")).toBe(stem("damage"));
    expect(stem("injuries")).toBe(stem("injury"));
  });
});

describe("names", () => {
  it("title-cases and compares names loosely", () => {
    expect(titleCase("maria GARCIA")).toBe("Maria Garcia");
    expect(sameName("Maria  Garcia", "maria garcia")).toBe(true);
    expect(sameName("Maria Garcia", "Mario Garcia")).toBe(false);
  });
});
