import { describe, expect, it } from "vitest";
import { Seamtrace, type RequestFn } from "@seamtrace/sdk";

describe("onResolved never throws into the host", () => {
  it("survives a 2xx answer of an unexpected shape (e.g. a proxy) without an unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    const request = (async (url: string) => ({
      status: 200,
      headers: { get: () => null },
      text: async () => (url.includes("/resumable") ? '{"items":{"runId":"x"}}' : '{"policies":[]}'),
    })) as unknown as RequestFn;
    const st = new Seamtrace({ endpoint: "http://x.test", apiKey: "st_x", request, onError: () => {} });
    const stop = st.onResolved(() => {}, { pollMs: 20 });
    await new Promise((r) => setTimeout(r, 100));
    stop();
    process.off("unhandledRejection", onUnhandled);
    console.log("unhandled rejections:", unhandled.map(String));
    expect(unhandled).toEqual([]);
  });
});
