import { describe, expect, it } from "vitest";
import { ApiError, queryString, request } from "./api.js";

const respond = (status: number, body: string) => (async () => new Response(body, { status })) as typeof fetch;

describe("api client", () => {
  it("drops empty query values and encodes the rest", () => {
    expect(queryString({ a: "x y", b: undefined, c: "", d: 3, e: null })).toBe("?a=x+y&d=3");
    expect(queryString({})).toBe("");
  });

  it("turns the server's error envelope into an ApiError with its code and request id", async () => {
    const body = JSON.stringify({ error: { code: "not_found", message: "run not found", requestId: "r1" } });
    const err = await request("GET", "/v1/runs/x", undefined, respond(404, body)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 404, code: "not_found", message: "run not found", requestId: "r1" });
  });

  it("reports a non-JSON error page by its status", async () => {
    const err = await request("GET", "/v1/runs", undefined, respond(502, "<html>bad gateway</html>")).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 502, code: "http_502" });
  });

  it("reports a network failure as status 0", async () => {
    const failing = (async () => {
      throw new TypeError("fetch failed");
    }) as typeof fetch;
    const err = await request("GET", "/v1/runs", undefined, failing).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 0, code: "network" });
  });

  it("parses a JSON answer", async () => {
    await expect(request("GET", "/v1/x", undefined, respond(200, '{"a":1}'))).resolves.toEqual({ a: 1 });
  });
});
