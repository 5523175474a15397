import { Hono } from "hono";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { AppDeps, AppEnv } from "../deps.js";
import { notFound } from "../../platform/http/errors.js";
import { openApiDocument } from "./document.js";

const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };

/**
 * The OpenAPI 3.1 document (`/openapi.json`) and the browsable reference (`/reference`). The
 * reference is Scalar's, built by the UI's vite build into same-origin assets (ui/reference.html):
 * nothing is loaded from a CDN, so it works offline and under a `script-src 'self'` policy.
 */
export function openapiRoutes(deps: AppDeps) {
  let document: string | undefined;
  const referencePath = join(deps.config.uiDir, "reference.html");
  return new Hono<AppEnv>()
    .get("/openapi.json", (c) => {
      // Built on first request: it walks every contract, which the server need not pay at boot.
      document ??= JSON.stringify(openApiDocument({ version: pkg.version }));
      c.header("Cache-Control", "no-cache");
      return c.body(document, 200, { "Content-Type": "application/json; charset=utf-8" });
    })
    .get("/reference", (c) => {
      if (!existsSync(referencePath)) throw notFound("the API reference (build the UI with `npm run build`)");
      c.header("Cache-Control", "no-cache");
      return c.html(readFileSync(referencePath, "utf8"));
    });
}
