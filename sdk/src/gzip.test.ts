import { gunzipSync } from "node:zlib";
import { expect, it } from "vitest";
import { gzip } from "./gzip.js";

it("produces gzip that decompresses to the UTF-8 input, large bodies included", async () => {
  for (const text of ["", '{"events":[]}', "é😀".repeat(300_000)]) {
    const out = await gzip(text);
    expect(out).toBeInstanceOf(Uint8Array);
    expect(gunzipSync(out!).toString("utf8")).toBe(text);
  }
});
