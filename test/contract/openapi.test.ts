/**
 * `/openapi.json` ("An OpenAPI document describes every route"): a valid OpenAPI 3.1
 * document that lists exactly the operations the app mounts, and a reference page to browse it.
 */
import { Validator } from "@seriousme/openapi-schema-validator";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../server/src/app/app.js";
import { createTestContext, type TestContext } from "../../server/test-support/testing.js";
import { repoRoot } from "../support/server.js";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

async function document(): Promise<{ openapi: string; paths: Record<string, Record<string, unknown>> }> {
  const res = await ctx.app.request("/openapi.json");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  return (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
}

/**
 * The operations Hono has mounted: every method route, path params in OpenAPI syntax. Left
 * out: middleware (`ALL`), and the UI's catch-all that serves the single-page app.
 */
function mountedOperations(routes: ReadonlyArray<{ method: string; path: string }>): string[] {
  const ops = routes
    .filter((r) => r.method !== "ALL" && r.path !== "*" && r.path !== "/*" && r.path !== "/")
    .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
  return [...new Set(ops)].sort();
}

describe("GET /openapi.json", () => {
  it("validates as an OpenAPI 3.1 document, references included", async () => {
    const doc = await document();
    expect(doc.openapi).toMatch(/^3\.1\./);
    const validator = new Validator();
    const result = await validator.validate(doc as unknown as Parameters<Validator["validate"]>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    // Every $ref points into the document (the validator checks the schema, not reference targets).
    const text = JSON.stringify(doc);
    for (const [, ref] of text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) {
      expect((doc as unknown as { components: { schemas: Record<string, unknown> } }).components.schemas, ref).toHaveProperty(ref!);
    }
  });

  it("lists every route the app mounts, and nothing it does not", async () => {
    const doc = await document();
    const documented = Object.entries(doc.paths)
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m} ${path}`))
      .sort();
    const mounted = mountedOperations(ctx.app.routes);
    expect(mounted.length).toBeGreaterThan(25);
    expect(documented).toEqual(mounted);
  });

  it("catches a route mounted without documentation", () => {
    const withExtra = mountedOperations([...ctx.app.routes, { method: "GET", path: "/v1/undocumented/:id" }]);
    expect(withExtra).toContain("get /v1/undocumented/{id}");
  });

  it("describes request bodies and query parameters from the validators' zod schemas", async () => {
    const doc = (await document()) as unknown as {
      paths: Record<
        string,
        Record<
          string,
          { parameters?: Array<{ name: string; in: string; required: boolean }>; requestBody?: { content: Record<string, { schema: { $ref?: string } }> } }
        >
      >;
      components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
    };
    const listRuns = doc.paths["/v1/runs"]!.get!;
    expect(listRuns.parameters!.map((p) => p.name)).toEqual(expect.arrayContaining(["workflow", "status", "limit", "cursor"]));
    expect(doc.paths["/v1/runs/{id}"]!.get!.parameters).toEqual([expect.objectContaining({ name: "id", in: "path", required: true })]);
    expect(doc.paths["/v1/traces"]!.post!.requestBody!.content).toHaveProperty("application/x-protobuf");
    expect(doc.components.schemas.PolicyRequest!.properties).toHaveProperty("minConfidence");
    expect(doc.components.schemas.LoginRequest!.required).toEqual(["email", "password"]);
  });
});

describe("GET /reference", () => {
  it("serves the API reference page built into the UI, loading only same-origin scripts", async () => {
    const uiDir = join(repoRoot, "ui/dist");
    expect(existsSync(join(uiDir, "reference.html")), "npm test builds the UI first").toBe(true);
    const app = createApp({ ...ctx.deps, config: { ...ctx.config, uiDir } });
    const res = await app.request("/reference");
    expect(res.status).toBe(200);
    const html = await res.text();
    const scripts = [...html.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) {
      expect(src, "no CDN").toMatch(/^\/assets\//);
      expect((await app.request(src)).status, src).toBe(200);
    }
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>[^<]+<\/script>/); // no inline script
  });

  it("answers 404 when the UI has not been built", async () => {
    expect((await ctx.app.request("/reference")).status).toBe(404);
  });
});
