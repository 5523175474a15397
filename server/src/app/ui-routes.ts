import { serveStatic } from "@hono/node-server/serve-static";
import { Hono } from "hono";
import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { AppDeps, AppEnv } from "./deps.js";

/**
 * The built UI (ui/dist) at `/`. Unknown paths that are not API paths get index.html, so deep
 * links into the single-page app survive a reload.
 */
export function uiRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  const indexPath = join(deps.config.uiDir, "index.html");
  if (!existsSync(indexPath)) {
    return app.get("/", (c) => c.text("Seamtrace is running. The UI has not been built: run `npm run build` (npm start does it for you).\n"));
  }
  const indexHtml = readFileSync(indexPath, "utf8");
  // serveStatic resolves `root` against the working directory, so pass it relative to that.
  const root = relative(process.cwd(), deps.config.uiDir) || ".";
  app.use("/assets/*", async (c, next) => {
    await next();
    // Vite fingerprints asset names, so they can be cached for good.
    if (c.res.status === 200) c.header("Cache-Control", "public, max-age=31536000, immutable");
  });
  app.use("/*", serveStatic({ root }));
  app.get("*", (c) => {
    if (c.req.path.startsWith("/v1/") || c.req.path.startsWith("/assets/")) return c.notFound();
    c.header("Cache-Control", "no-cache");
    return c.html(indexHtml);
  });
  return app;
}
