import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { AppEnv } from "../../app/deps.js";
import { AppError } from "./errors.js";
import { validate } from "./validate.js";

// A small app with the same AppError rendering as createApp's onError, so these tests pin the
// validator alone; anything else reaching onError shows up as a 500.
function appWith(build: (app: Hono<AppEnv>) => Hono<AppEnv>) {
  const app = new Hono<AppEnv>();
  app.onError((err, c) =>
    err instanceof AppError
      ? c.json({ error: { code: err.code, message: err.message, details: err.details } }, err.status)
      : c.json({ error: { code: "internal", message: String(err) } }, 500),
  );
  return build(app);
}

const querySchema = z.object({
  n: z.string().regex(/^\d+$/).transform(Number).pipe(z.number().max(10)).default(3),
  tag: z.enum(["a", "b"]).optional(),
});
const bodySchema = z.object({ name: z.string().min(1), count: z.number().int() });

const app = appWith((a) =>
  a
    .get("/q", validate("query", querySchema), (c) => c.json(c.req.valid("query")))
    .get("/items/:id", validate("param", z.object({ id: z.uuid() })), (c) => c.json(c.req.valid("param")))
    .post("/body", validate("json", bodySchema), (c) => c.json(c.req.valid("json")))
    .post("/throws", validate("json", z.object({})), () => {
      throw new HTTPException(418, { message: "teapot" });
    }),
);

const post = (path: string, body: string, type = "application/json") => app.request(path, { method: "POST", body, headers: { "content-type": type } });

describe("validate", () => {
  it("hands the handler the parsed query, with defaults applied and unknown keys dropped", async () => {
    const res = await app.request("/q?tag=a&other=1");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ n: 3, tag: "a" });
    expect(await (await app.request("/q?n=7")).json()).toEqual({ n: 7 });
  });

  it("answers a bad query with 400 invalid_query and the zod issues, paths included", async () => {
    const res = await app.request("/q?n=11&tag=c");
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string; details: Array<{ path: unknown[]; code: string }> } };
    expect(body.error.code).toBe("invalid_query");
    expect(body.error.message).toMatch(/^invalid query: n: .*\(and 1 more\)$/);
    expect(body.error.details.map((i) => i.path)).toEqual([["n"], ["tag"]]);
    expect(body.error.details.map((i) => i.code)).toEqual(["too_big", "invalid_value"]);
  });

  it("rejects a repeated query parameter instead of picking one of its values", async () => {
    const res = await app.request("/q?tag=a&tag=b");
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_query");
  });

  it("answers a bad path parameter with 400 invalid_param", async () => {
    const ok = await app.request("/items/0190a4b2-4c2e-7a3b-8d3e-1f2a3b4c5d6e");
    expect(ok.status).toBe(200);
    const res = await app.request("/items/not-a-uuid");
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string; details: unknown[] } }).error).toMatchObject({
      code: "invalid_param",
      details: [expect.objectContaining({ path: ["id"] })],
    });
  });

  it("validates a JSON body and answers a schema violation with 400 invalid_body", async () => {
    const ok = await post("/body", JSON.stringify({ name: "x", count: 2, extra: true }));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ name: "x", count: 2 });
    const bad = await post("/body", JSON.stringify({ name: "", count: 1.5 }));
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { code: string; details: Array<{ path: unknown[] }> } };
    expect(body.error.code).toBe("invalid_body");
    expect(body.error.details.map((i) => i.path)).toEqual([["name"], ["count"]]);
  });

  it("answers malformed JSON with 400 invalid_json, not a 500", async () => {
    const res = await post("/body", "{ nope");
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_json");
  });

  it("answers a non-JSON body with 415 rather than validating it as an empty object", async () => {
    const res = await post("/throws", "name=x", "application/x-www-form-urlencoded");
    expect(res.status).toBe(415);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unsupported_media_type");
  });

  it("leaves errors thrown by the handler itself alone", async () => {
    const res = await post("/throws", "{}");
    // The test app renders non-AppErrors as 500: proof the handler's error was not rewritten
    // into invalid_json by the validator's HTTPException translation.
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/teapot/);
  });
});
