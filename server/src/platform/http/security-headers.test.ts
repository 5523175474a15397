import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "../../app/app.js";
import { createTestContext, type TestContext } from "../../../test-support/testing.js";

let ctx: TestContext;
afterEach(() => ctx.close());

describe("security headers", () => {
  it("gives UI pages a strict Content-Security-Policy: same-origin scripts only, no inline, no framing", async () => {
    ctx = await createTestContext();
    const uiDir = join(ctx.dir, "ui");
    mkdirSync(uiDir);
    writeFileSync(join(uiDir, "index.html"), "<!doctype html><title>t</title>");
    const app = createApp({ ...ctx.deps, config: { ...ctx.config, uiDir } });
    for (const path of ["/", "/runs/some-run", "/review/abc"]) {
      const res = await app.request(path);
      expect(res.status).toBe(200);
      const csp = res.headers.get("content-security-policy")!;
      expect(csp).toMatch(/default-src 'self'/);
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(csp).toMatch(/object-src 'none'/);
      expect(csp).toMatch(/frame-ancestors 'none'/);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    }
  });

  it("lets only the API reference page use inline styles, never inline scripts", async () => {
    ctx = await createTestContext();
    const res = await ctx.app.request("/reference");
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toMatch(/style-src 'self' 'unsafe-inline'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
  });

  it("gives API answers, errors included, a CSP that loads nothing", async () => {
    ctx = await createTestContext();
    const { key } = await ctx.newProject();
    const answers = [
      await ctx.app.request("/healthz"),
      await ctx.app.request("/v1/runs", { headers: { authorization: `Bearer ${key}` } }),
      await ctx.app.request("/v1/runs"),
      await ctx.app.request("/v1/no-such-route"),
      await ctx.app.request("/v1/runs?limit=nope", { headers: { authorization: `Bearer ${key}` } }),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 200, 401, 404, 400]);
    for (const res of answers) {
      expect(res.headers.get("content-security-policy")).toMatch(/default-src 'none'/);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });
});
